// fuzz/image_decode.cpp: data::decode_image (JPEG or PNG, then crop and resize) on arbitrary bytes.
//
// Refusals (io_error) are the expected outcome; any other exception, a crash or a
// sanitizer report is a bug. A decoded image must hold 3·side·side values in [0, 1].
#include <cstdint>
#include <cstdlib>

#include "latent/data/image_folder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr int side = 8;
    try {
        const auto v = latent::data::decode_image(data, size, "fuzz.img", side);
        if (v.size() != std::size_t{3 * side * side}) std::abort();
        for (float x : v)
            if (!(x >= 0.0f && x <= 1.0f)) std::abort();
    } catch (const latent::io_error&) {
    }
    return 0;
}
