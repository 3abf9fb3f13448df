// fuzz/png.cpp: decode_png on arbitrary bytes.
//
// Refusals (io_error) are the expected outcome; any other exception, a crash or a
// sanitizer report is a bug. A decoded image must hold exactly width·height·channels bytes.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "latent/io/png.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const latent::image img = latent::decode_png(std::span<const std::uint8_t>(data, size), "fuzz.png");
        if (img.pixels.size() != std::size_t(img.width) * std::size_t(img.height) * std::size_t(img.channels))
            std::abort();
    } catch (const latent::io_error&) {
    }
    return 0;
}
