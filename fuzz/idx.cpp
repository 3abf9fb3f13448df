// fuzz/idx.cpp: data::read_idx on arbitrary bytes, plain or gzip.
//
// read_idx reads only from a path (through zlib's gzopen), so each input is written to a
// temporary file first; an in-memory entry point would make this harness faster and need
// no file system. Refusals (io_error) are the expected outcome; any other exception, a
// crash or a sanitizer report is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "latent/data/idx.hpp"

namespace {
/// A file private to this process, removed at exit.
const std::string& scratch_file() {
    static const std::string path = [] {
        std::string p = (std::filesystem::temp_directory_path() / ("latent_fuzz_idx_" + std::to_string(::getpid())))
                            .string();
        std::atexit([] { std::remove(scratch_file().c_str()); });
        return p;
    }();
    return path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& path = scratch_file();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
    try {
        const latent::data::idx_array a = latent::data::read_idx(path);
        // What a successful read promises: the extents account for every value.
        std::uint64_t total = 1;
        for (auto d : a.dims) total *= static_cast<std::uint64_t>(d);
        if (a.dims.empty() || total != a.values.size()) std::abort();
    } catch (const latent::io_error&) {
    }
    return 0;
}
