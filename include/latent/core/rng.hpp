// latent/core/rng.hpp: counter-based random numbers (Philox4x32-10) and a generator over them.
//
// Philox (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as
// 1, 2, 3", SC 2011; the Random123 library) maps a 128-bit counter and a
// 64-bit key to 128 random bits with no state between calls. A draw is then a
// pure function of (key, counter), so element i of a fill can be computed by
// any thread, on the host or on a GPU, and always comes out the same. That is
// the whole reason for choosing it over a sequential engine such as mt19937.
//
// Layout of a draw (the contract a device backend must reproduce):
//   key     = (low 32 bits of seed, high 32 bits of seed)
//   counter = (low 32 of offset + i, high 32 of offset + i, low 32 of stream, high 32 of stream)
// where `offset` is the generator's offset when the call reserved its range
// and i the element's index in the call. Every element gets a whole Philox
// block (four 32-bit words), enough for one double-precision normal, so no
// element shares a counter with another.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "latent/config.hpp"
#include "latent/core/error.hpp"

namespace latent {

/// Four 32-bit words: a Philox counter, or a Philox output block.
struct uint32x4 {
    std::uint32_t w[4];
    friend constexpr bool operator==(const uint32x4&, const uint32x4&) = default;
};
/// Two 32-bit words: a Philox key.
struct uint32x2 {
    std::uint32_t w[2];
    friend constexpr bool operator==(const uint32x2&, const uint32x2&) = default;
};

namespace detail {
// The Philox4x32 round constants of the paper: two multipliers and the Weyl
// increments (golden ratio and √3 - 1, in 32-bit fixed point) for the key schedule.
inline constexpr std::uint32_t philox_m0 = 0xD2511F53u;
inline constexpr std::uint32_t philox_m1 = 0xCD9E8D57u;
inline constexpr std::uint32_t philox_w0 = 0x9E3779B9u;
inline constexpr std::uint32_t philox_w1 = 0xBB67AE85u;

/// One Philox4x32 round: two 32×32→64 products, their high halves mixed with
/// the other words and the key, then a fixed word permutation.
LATENT_HD constexpr uint32x4 philox_round(const uint32x4& c, const uint32x2& k) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(philox_m0) * c.w[0];
    const std::uint64_t p1 = static_cast<std::uint64_t>(philox_m1) * c.w[2];
    return uint32x4{{static_cast<std::uint32_t>(p1 >> 32) ^ c.w[1] ^ k.w[0], static_cast<std::uint32_t>(p1),
                     static_cast<std::uint32_t>(p0 >> 32) ^ c.w[3] ^ k.w[1], static_cast<std::uint32_t>(p0)}};
}
}  // namespace detail

/// Philox4x32-10: the counter block encrypted under `key` by ten rounds, the
/// key bumped by the Weyl constants between rounds.
/// ensures: a bijection of counters for each key; matches Random123's known-answer vectors.
LATENT_HD constexpr uint32x4 philox4x32_10(uint32x4 counter, uint32x2 key) {
    counter = detail::philox_round(counter, key);
    for (int r = 1; r < 10; ++r) {
        key.w[0] += detail::philox_w0;
        key.w[1] += detail::philox_w1;
        counter = detail::philox_round(counter, key);
    }
    return counter;
}

// ---------------------------------------------------------------------------
// From random words to uniform numbers. Two intervals, for two kinds of use:
//   [0, 1) for comparisons and affine maps: `u < p` is then never true for
//          p = 0 and always true for p = 1, and lo + (hi - lo)·u stays below hi
//          (up to the rounding of that expression);
//   (0, 1] for logarithms: Box–Muller takes log(u), and log(0) is -∞.
// The float versions use the top 24 bits of one word and the double versions
// the top 53 bits of two, so every value is exact in its type and the grid is
// evenly spaced: k·2⁻²⁴ (resp. k·2⁻⁵³) for [0, 1), (k + 1)·2⁻²⁴ for (0, 1].
// ---------------------------------------------------------------------------

/// A float in [0, 1) from one word: (x >> 8)·2⁻²⁴.
LATENT_HD constexpr float unit_float_closed_open(std::uint32_t x) {
    return static_cast<float>(x >> 8) * (1.0f / 16777216.0f);
}
/// A float in (0, 1] from one word: ((x >> 8) + 1)·2⁻²⁴.
LATENT_HD constexpr float unit_float_open_closed(std::uint32_t x) {
    return static_cast<float>((x >> 8) + 1u) * (1.0f / 16777216.0f);
}
/// A double in [0, 1) from two words (lo, hi forming a 64-bit word): (word >> 11)·2⁻⁵³.
LATENT_HD constexpr double unit_double_closed_open(std::uint32_t lo, std::uint32_t hi) {
    const std::uint64_t x = (static_cast<std::uint64_t>(hi) << 32) | lo;
    return static_cast<double>(x >> 11) * (1.0 / 9007199254740992.0);
}
/// A double in (0, 1] from two words: ((word >> 11) + 1)·2⁻⁵³.
LATENT_HD constexpr double unit_double_open_closed(std::uint32_t lo, std::uint32_t hi) {
    const std::uint64_t x = (static_cast<std::uint64_t>(hi) << 32) | lo;
    return static_cast<double>((x >> 11) + 1u) * (1.0 / 9007199254740992.0);
}

/// One standard normal from one Philox block, by the cosine branch of Box–Muller:
///   z = √(-2 ln u₁) · cos(2π u₂),  u₁ ∈ (0, 1] from words 0-1, u₂ ∈ [0, 1) from words 2-3.
/// Computed in double whatever the tensor's type, so that float and double
/// fills agree up to rounding and so that the host and a CUDA device (both
/// with IEEE double log/sqrt/cos, no fast-math) agree to about 1e-15 before
/// the final rounding: within 1e-6 after it. |z| ≤ √(106 ln 2) ≈ 8.57.
/// The sine branch is dropped so that each element depends on its own block only.
LATENT_HD inline double box_muller(const uint32x4& block) {
    using std::cos;
    using std::log;
    using std::sqrt;
    constexpr double two_pi = 6.283185307179586476925286766559;
    const double u1 = unit_double_open_closed(block.w[0], block.w[1]);
    const double u2 = unit_double_closed_open(block.w[2], block.w[3]);
    return sqrt(-2.0 * log(u1)) * cos(two_pi * u2);
}

/// The counters a generator reserved for one call: a trivially copyable value a
/// kernel functor holds. `block(i)` is the Philox output for element i of the call.
struct philox_range {
    uint32x2 key;
    std::uint64_t stream;
    std::uint64_t base;  // the generator's offset when the range was reserved
    std::uint64_t count;

    LATENT_HD constexpr uint32x4 block(std::uint64_t i) const {
        const std::uint64_t c = base + i;
        return philox4x32_10(uint32x4{{static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(c >> 32),
                                       static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)}},
                             key);
    }
    /// A double in [0, 1) for element i (words 0-1 of its block).
    LATENT_HD constexpr double uniform(std::uint64_t i) const {
        const uint32x4 b = block(i);
        return unit_double_closed_open(b.w[0], b.w[1]);
    }
    /// A standard normal for element i (box_muller of its block).
    LATENT_HD double normal(std::uint64_t i) const { return box_muller(block(i)); }
};

/// A random number generator: a Philox key (the seed), a stream (independent
/// sequences under one seed, e.g. one per data-loader worker) and an offset,
/// the next unused counter.
///
/// ensures: `take(n)` hands out counters [offset, offset + n) and advances the
///          offset by n, so consecutive calls never reuse a counter, and
///          filling n then m elements gives the same numbers as filling n + m
///          at once (for the same distribution). A copy replays the same
///          numbers; `offset()`/`set_offset()` save and restore the position
///          for checkpoints. Nothing depends on threads or scheduling.
class generator {
public:
    explicit generator(std::uint64_t seed = 0, std::uint64_t stream = 0, std::uint64_t offset = 0)
        : seed_(seed), stream_(stream), offset_(offset) {}

    std::uint64_t seed() const { return seed_; }
    std::uint64_t stream() const { return stream_; }
    std::uint64_t offset() const { return offset_; }
    /// Moves to another position (a checkpoint's saved offset, or back to replay).
    void set_offset(std::uint64_t offset) { offset_ = offset; }

    /// Reserves `n` counters, one per element of a call, and advances past them.
    /// Throws config_error if the 64-bit offset would wrap (after 2⁶⁴ draws).
    philox_range take(std::uint64_t n) {
        LATENT_CHECK(n <= std::numeric_limits<std::uint64_t>::max() - offset_, config_error, "generator: ", n,
                     " draws at offset ", offset_, " would wrap the 64-bit counter; use another stream");
        const philox_range r{uint32x2{{static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32)}},
                             stream_, offset_, n};
        offset_ += n;
        return r;
    }

    friend bool operator==(const generator&, const generator&) = default;

private:
    std::uint64_t seed_;
    std::uint64_t stream_;
    std::uint64_t offset_;
};

}  // namespace latent
