// fuzz/celeba_attributes.cpp: data::parse_celeba_attributes on arbitrary text.
//
// Refusals (io_error) are the expected outcome; any other exception, a crash or a
// sanitizer report is a bug.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "latent/data/celeba.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto parsed = latent::data::parse_celeba_attributes(
            std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.txt");
        if (parsed.files.size() != parsed.lines.size()) std::abort();
        if (parsed.values.size() != parsed.files.size() * parsed.names.size()) std::abort();
    } catch (const latent::io_error&) {
    }
    return 0;
}
