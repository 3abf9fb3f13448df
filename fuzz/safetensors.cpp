// fuzz/safetensors.cpp: safetensors_file::from_bytes on arbitrary bytes, then every tensor read.
//
// Refusals (io_error) are the expected outcome; any other exception, a crash or a
// sanitizer report is a bug.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "latent/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto file = latent::safetensors_file::from_bytes(std::vector<std::uint8_t>(data, data + size), "fuzz");
        for (const auto& e : file.entries()) {
            const auto bytes = file.read_bytes(e.name);
            if (bytes.size() != static_cast<std::size_t>(e.bytes())) std::abort();
            try {
                if (e.dtype == latent::safetensors_dtype::f32) (void)file.read<float>(e.name);
                if (e.dtype == latent::safetensors_dtype::u8) (void)file.read<std::uint8_t>(e.name);
            } catch (const latent::io_error&) {
                // rank above 4: refused by read<T>, legitimately
            }
        }
        (void)file.metadata();
    } catch (const latent::io_error&) {
    }
    return 0;
}
