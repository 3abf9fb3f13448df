#include <doctest/doctest.h>

#include <latent/core/rng.hpp>

#include <cmath>
#include <cstdint>
#include <set>
#include <utility>

using namespace latent;

namespace {
/// A block as one 128-bit key for std::set.
std::pair<std::uint64_t, std::uint64_t> as_pair(const uint32x4& b) {
    return {(std::uint64_t{b.w[1]} << 32) | b.w[0], (std::uint64_t{b.w[3]} << 32) | b.w[2]};
}
}  // namespace

// Known answers from Random123's tests/kat_vectors (github.com/DEShawResearch/random123,
// the three "philox4x32 10" lines), columns: counter (4 words), key (2 words), result (4 words):
//   philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8
//   philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd
//   philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1
TEST_CASE("philox: Random123 known-answer vectors") {
    struct kat {
        uint32x4 counter;
        uint32x2 key;
        uint32x4 expected;
    };
    const kat cases[] = {
        {{{0x00000000, 0x00000000, 0x00000000, 0x00000000}},
         {{0x00000000, 0x00000000}},
         {{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}}},
        {{{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}},
         {{0xffffffff, 0xffffffff}},
         {{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}}},
        {{{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}},
         {{0xa4093822, 0x299f31d0}},
         {{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}}},
    };
    for (const auto& c : cases) {
        const uint32x4 got = philox4x32_10(c.counter, c.key);
        for (int k = 0; k < 4; ++k) CHECK(got.w[k] == c.expected.w[k]);
    }
    // constexpr, so a compile-time check holds too
    static_assert(philox4x32_10(uint32x4{{0, 0, 0, 0}}, uint32x2{{0, 0}}) ==
                  uint32x4{{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}});
}

TEST_CASE("rng: uniform conversions hit their interval ends exactly") {
    // float: top 24 bits of one word
    CHECK(unit_float_closed_open(0u) == 0.0f);
    CHECK(unit_float_closed_open(0xffffffffu) == 1.0f - 0x1p-24f);
    CHECK(unit_float_closed_open(0x80000000u) == 0.5f);
    CHECK(unit_float_open_closed(0u) == 0x1p-24f);
    CHECK(unit_float_open_closed(0xffffffffu) == 1.0f);
    CHECK(unit_float_open_closed(0x000000ffu) == 0x1p-24f);  // the low 8 bits are dropped
    // double: top 53 bits of the 64-bit word (hi << 32 | lo)
    CHECK(unit_double_closed_open(0u, 0u) == 0.0);
    CHECK(unit_double_closed_open(0xffffffffu, 0xffffffffu) == 1.0 - 0x1p-53);
    CHECK(unit_double_closed_open(0u, 0x80000000u) == 0.5);
    CHECK(unit_double_closed_open(0x800u, 0u) == 0x1p-53);  // bit 11 is the lowest kept bit
    CHECK(unit_double_open_closed(0u, 0u) == 0x1p-53);
    CHECK(unit_double_open_closed(0xffffffffu, 0xffffffffu) == 1.0);
}

TEST_CASE("rng: Box-Muller on hand-picked words") {
    // u1 = 0.25 needs (word >> 11) + 1 = 2^51, i.e. word = (2^51 - 1) << 11 = 0x3FFFFFFFFFFFF800.
    // u2 = 0 gives cos 0 = 1, u2 = 0.5 (word 2^63) gives cos π = -1.
    const double r = std::sqrt(-2.0 * std::log(0.25));  // 1.6651092223153954
    CHECK(box_muller(uint32x4{{0xFFFFF800u, 0x3FFFFFFFu, 0u, 0u}}) == doctest::Approx(r).epsilon(1e-15));
    CHECK(box_muller(uint32x4{{0xFFFFF800u, 0x3FFFFFFFu, 0u, 0x80000000u}}) == doctest::Approx(-r).epsilon(1e-15));
    // u2 = 1/4 (word 2^62) gives cos(π/2) = 0 and u2 = 1/8 gives cos(π/4): catches a wrong angle factor
    CHECK(std::fabs(box_muller(uint32x4{{0xFFFFF800u, 0x3FFFFFFFu, 0u, 0x40000000u}})) < 1e-15);
    CHECK(box_muller(uint32x4{{0xFFFFF800u, 0x3FFFFFFFu, 0u, 0x20000000u}}) ==
          doctest::Approx(r * std::sqrt(0.5)).epsilon(1e-15));
    // u1 = 1 gives 0 whatever u2 is
    CHECK(box_muller(uint32x4{{0xffffffffu, 0xffffffffu, 0x1234u, 0x5678u}}) == 0.0);
    // the smallest u1 gives the largest magnitude, √(-2 ln 2⁻⁵³)
    CHECK(box_muller(uint32x4{{0u, 0u, 0u, 0u}}) == doctest::Approx(std::sqrt(106 * std::log(2.0))));
}

TEST_CASE("generator: counter layout is (offset + i, stream) under key seed") {
    const std::uint64_t seed = 0x0123456789abcdefULL, stream = 0xfedcba9876543210ULL;
    generator gen(seed, stream, 0xffffffffULL);  // offset + 1 carries into the second word
    const philox_range r = gen.take(3);
    CHECK(r.base == 0xffffffffULL);
    CHECK(r.count == 3);
    const uint32x2 key{{0x89abcdefu, 0x01234567u}};
    CHECK(r.block(0) == philox4x32_10(uint32x4{{0xffffffffu, 0u, 0x76543210u, 0xfedcba98u}}, key));
    CHECK(r.block(1) == philox4x32_10(uint32x4{{0u, 1u, 0x76543210u, 0xfedcba98u}}, key));
    const uint32x4 b2 = philox4x32_10(uint32x4{{1u, 1u, 0x76543210u, 0xfedcba98u}}, key);
    CHECK(r.block(2) == b2);
    CHECK(r.uniform(2) == unit_double_closed_open(b2.w[0], b2.w[1]));
    CHECK(r.normal(2) == box_muller(b2));
}

TEST_CASE("generator: consecutive calls advance the offset and never reuse a counter") {
    generator gen(42);
    CHECK(gen.offset() == 0);
    const philox_range a = gen.take(100);
    CHECK(gen.offset() == 100);
    const philox_range b = gen.take(50);
    CHECK(gen.offset() == 150);
    CHECK(b.base == a.base + a.count);
    std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
    for (std::uint64_t i = 0; i < a.count; ++i) seen.insert(as_pair(a.block(i)));
    for (std::uint64_t i = 0; i < b.count; ++i) seen.insert(as_pair(b.block(i)));
    CHECK(seen.size() == 150);  // distinct counters, and Philox is a bijection for one key
    // an empty call reserves nothing
    const philox_range e = gen.take(0);
    CHECK(e.count == 0);
    CHECK(gen.offset() == 150);
}

TEST_CASE("generator: the same seed replays, other seeds and streams differ") {
    generator g1(7), g2(7), other_seed(8), other_stream(7, 1);
    const auto r1 = g1.take(4), r2 = g2.take(4), r3 = other_seed.take(4), r4 = other_stream.take(4);
    for (std::uint64_t i = 0; i < 4; ++i) {
        CHECK(r1.block(i) == r2.block(i));
        CHECK_FALSE(r1.block(i) == r3.block(i));
        CHECK_FALSE(r1.block(i) == r4.block(i));
    }
}

TEST_CASE("generator: a copy replays the same numbers and leaves the original alone") {
    generator gen(3);
    gen.take(10);
    generator copy = gen;
    CHECK(copy == gen);
    const auto a = gen.take(5), b = copy.take(5);
    for (std::uint64_t i = 0; i < 5; ++i) CHECK(a.uniform(i) == b.uniform(i));
    CHECK(gen.offset() == 15);
    CHECK(copy.offset() == 15);
    copy.take(1);
    CHECK(gen.offset() == 15);  // the copy is independent
}

TEST_CASE("generator: offset get and set restore a checkpointed position") {
    generator gen(11, 2);
    gen.take(37);
    const std::uint64_t saved = gen.offset();
    const auto first = gen.take(8);
    gen.take(1000);
    gen.set_offset(saved);
    const auto again = gen.take(8);
    for (std::uint64_t i = 0; i < 8; ++i) CHECK(first.block(i) == again.block(i));
    // a fresh generator restored from (seed, stream, offset) replays too
    generator restored(gen.seed(), gen.stream(), saved);
    const auto third = restored.take(8);
    for (std::uint64_t i = 0; i < 8; ++i) CHECK(first.block(i) == third.block(i));
}

TEST_CASE("generator: an offset that would wrap is a config_error") {
    generator gen(1, 0, ~std::uint64_t{0} - 5);
    CHECK_NOTHROW(gen.take(5));
    CHECK_THROWS_AS(gen.take(1), config_error);
    CHECK(gen.offset() == ~std::uint64_t{0});
}
