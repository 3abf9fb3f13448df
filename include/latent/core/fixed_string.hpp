// latent/core/fixed_string.hpp: a string usable as a template argument ("z", "w").
//
// Latent segments are named in types (`block<"z", 2, …>`), so that a segment
// is looked up by name at compile time and a misspelt name is a compile error.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace latent {

template <std::size_t N>
struct fixed_string {
    char chars[N]{};
    constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, chars); }  // NOLINT: implicit from a literal
    constexpr std::string_view view() const { return {chars, N - 1}; }
    std::string str() const { return std::string(view()); }
    template <std::size_t M>
    constexpr bool operator==(const fixed_string<M>& other) const {
        return view() == other.view();
    }
};

}  // namespace latent
