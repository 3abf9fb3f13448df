// Guards against a known miscompile: Debian's g++ 12.2 at -O2, with AVX-512 or with an AVX-512
// core's tuning (-march=native on a Rocket Lake, say), stores a constant float array whose upper
// half is zero as a broadcast of its first value. The project's native builds pass -mno-avx512f
// -mtune=generic (cmake/LatentWarnings.cmake); this test fails if that ever stops working.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

namespace {
__attribute__((noinline)) std::vector<float> half_ones() {
    std::vector<float> v(8);
    const float s[8] = {1, 1, 1, 1, 0, 0, 0, 0};
    std::memcpy(v.data(), s, sizeof s);
    return v;
}
}  // namespace

TEST_CASE("compiler: a constant array with a zero upper half keeps its zeros") {
    const auto v = half_ones();
    for (int i = 0; i < 4; ++i) CHECK(v[static_cast<std::size_t>(i)] == 1.0f);
    for (int i = 4; i < 8; ++i) CHECK(v[static_cast<std::size_t>(i)] == 0.0f);
}
