// fuzz/idx.cpp: data::read_idx_bytes on arbitrary bytes, plain or gzip.
//
// The input is parsed in memory, as read_idx parses a file's bytes, so the harness needs
// no file system. Refusals (io_error) are the expected outcome; any other exception, a
// crash or a sanitizer report is a bug.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "latent/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const latent::data::idx_array a = latent::data::read_idx_bytes(std::span<const std::uint8_t>(data, size), "input");
        // What a successful read promises: the extents account for every value.
        std::uint64_t total = 1;
        for (auto d : a.dims) total *= static_cast<std::uint64_t>(d);
        if (a.dims.empty() || total != a.values.size()) std::abort();
    } catch (const latent::io_error&) {
    }
    return 0;
}
