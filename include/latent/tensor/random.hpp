// latent/tensor/random.hpp: tensors filled with random numbers from a generator.
//
// Each fill reserves one Philox counter per element (generator::take) and
// launches a LATENT_HD functor in which element i reads block i of that range:
// the numbers depend on (seed, stream, offset, i) only, never on how the
// backend splits the work, so the cpu and device backends fill identically.
// Values are computed in double and rounded to the tensor's type, so a float
// fill equals the double fill from the same counters, rounded.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

#include "latent/core/rng.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent {

namespace kernels {

/// out[i] = lo + (hi - lo)·u, u ∈ [0, 1); pulled below hi where rounding reaches it.
template <class T>
struct uniform_fill {
    T* out;
    philox_range r;
    double lo, hi;
    LATENT_HD void operator()(std::size_t i) const {
        using std::nextafter;
        T v = static_cast<T>(lo + (hi - lo) * r.uniform(i));
        const T top = static_cast<T>(hi), bottom = static_cast<T>(lo);
        if (v >= top && bottom < top) v = nextafter(top, bottom);
        out[i] = v;
    }
};

/// out[i] = mean + std·z, z a Box–Muller standard normal.
template <class T>
struct normal_fill {
    T* out;
    philox_range r;
    double mean, std;
    LATENT_HD void operator()(std::size_t i) const { out[i] = static_cast<T>(mean + std * r.normal(i)); }
};

/// out[i] = 1 if u < p else 0.
template <class T>
struct bernoulli_fill {
    T* out;
    philox_range r;
    double p;
    LATENT_HD void operator()(std::size_t i) const { out[i] = r.uniform(i) < p ? T(1) : T(0); }
};

/// out[i] = 1 if u < probs[i] else 0.
template <class T>
struct bernoulli_each {
    T* out;
    const T* probs;
    philox_range r;
    LATENT_HD void operator()(std::size_t i) const {
        out[i] = r.uniform(i) < static_cast<double>(probs[i]) ? T(1) : T(0);
    }
};

/// One row of a categorical draw by inverse CDF: the first category whose
/// cumulative weight exceeds u·total, skipping zero weights. A row with a
/// negative, non-finite or all-zero weight sets *bad and yields -1.
template <class T>
struct categorical_row {
    const T* probs;
    std::int32_t* out;
    std::int32_t* bad;
    philox_range r;
    std::size_t cols;
    LATENT_HD void operator()(std::size_t row) const {
        const T* p = probs + row * cols;
        double total = 0;
        std::int32_t last = -1;
        for (std::size_t k = 0; k < cols; ++k) {
            const double w = static_cast<double>(p[k]);
            if (!(w >= 0) || w - w != 0) {  // negative, NaN or infinite
                *bad = 1;
                out[row] = -1;
                return;
            }
            total += w;
            if (w > 0) last = static_cast<std::int32_t>(k);
        }
        if (last < 0) {
            *bad = 1;
            out[row] = -1;
            return;
        }
        const double target = r.uniform(row) * total;
        double cum = 0;
        // The same summation order as `total`, so cum reaches total exactly; `last`
        // catches the rare target that rounds up to total.
        std::int32_t pick = last;
        for (std::size_t k = 0; k < cols; ++k) {
            const double w = static_cast<double>(p[k]);
            cum += w;
            if (w > 0 && target < cum) {
                pick = static_cast<std::int32_t>(k);
                break;
            }
        }
        out[row] = pick;
    }
};

}  // namespace kernels

/// Fills t with U[lo, hi) (PyTorch's uniform_). Draws t.numel() counters.
/// requires: lo ≤ hi, both finite (config_error otherwise).
/// ensures:  lo ≤ t[i] < hi when lo < hi in T; every t[i] = lo when they are equal.
template <scalar T, backend B>
void uniform_(tensor<T, B>& t, generator& gen, double lo = 0.0, double hi = 1.0) {
    LATENT_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, config_error, "uniform_: bounds [", lo, ", ", hi,
                 ") must be finite with lo <= hi");
    launch(B{}, t.size(), kernels::uniform_fill<T>{t.data(), gen.take(t.size()), lo, hi});
}

/// Fills t with N(mean, std²) by Box–Muller (core/rng.hpp). Draws t.numel() counters.
/// requires: mean finite, std ≥ 0 and finite (config_error otherwise).
template <scalar T, backend B>
void normal_(tensor<T, B>& t, generator& gen, double mean = 0.0, double std = 1.0) {
    LATENT_CHECK(std::isfinite(mean) && std::isfinite(std) && std >= 0, config_error, "normal_: mean ", mean,
                 " and std ", std, " must be finite with std >= 0");
    launch(B{}, t.size(), kernels::normal_fill<T>{t.data(), gen.take(t.size()), mean, std});
}

/// Fills t with independent Bernoulli(p) values, 1 with probability p, else 0.
/// Draws t.numel() counters. requires: 0 ≤ p ≤ 1 (config_error otherwise).
template <element T, backend B>
void bernoulli_(tensor<T, B>& t, generator& gen, double p) {
    LATENT_CHECK(p >= 0 && p <= 1, config_error, "bernoulli_: probability ", p, " outside [0, 1]");
    launch(B{}, t.size(), kernels::bernoulli_fill<T>{t.data(), gen.take(t.size()), p});
}

/// A tensor shaped like probs with 1 at i with probability probs[i], else 0.
/// Draws probs.numel() counters. Probabilities below 0 act as 0, above 1 as 1, NaN as 0
/// (not validated: that would need the values on the host).
template <scalar T, backend B>
tensor<T, B> bernoulli(const tensor<T, B>& probs, generator& gen) {
    tensor<T, B> out(probs.shape());
    launch(B{}, out.size(), kernels::bernoulli_each<T>{out.data(), probs.data(), gen.take(out.size())});
    return out;
}

/// One category per row of probs [N, C] by inverse CDF, as torch.multinomial(probs, 1):
/// weights need not sum to one; a zero-weight category is never drawn. One
/// work item per row (launch_coarse), one counter per row.
/// requires: rank 2 with C ≥ 1 (shape_error); weights finite, ≥ 0, each row with a
///           positive sum (config_error, checked on the device and reported after).
/// ensures:  out[n] ∈ [0, C) with P(out[n] = k) = probs[n, k] / Σₖ probs[n, k].
template <scalar T, backend B>
tensor<std::int32_t, B> categorical(const tensor<T, B>& probs, generator& gen) {
    LATENT_CHECK(probs.rank() == 2 && probs.dim(1) >= 1, shape_error, "categorical: probabilities ", probs.shape(),
                 " must be [N, C] with C >= 1");
    LATENT_CHECK(probs.dim(1) <= std::numeric_limits<std::int32_t>::max(), shape_error, "categorical: ",
                 probs.dim(1), " categories do not fit int32");
    const auto rows = static_cast<std::size_t>(probs.dim(0));
    tensor<std::int32_t, B> out(shape{probs.dim(0)});
    auto bad = tensor<std::int32_t, B>::zeros(shape{});
    launch_coarse(B{}, rows,
                  kernels::categorical_row<T>{probs.data(), out.data(), bad.data(), gen.take(rows),
                                              static_cast<std::size_t>(probs.dim(1))});
    LATENT_CHECK(bad.item() == 0, config_error, "categorical: probabilities ", probs.shape(),
                 " have a row with a negative or non-finite weight, or with all weights zero");
    return out;
}

/// A uniformly random permutation of 0 … n-1 (torch.randperm). Runs Fisher–Yates
/// on the host and copies the result to B: swap step i (from n-1 down to 1) takes
/// j = w mod (i + 1) with w the 64-bit word of counter i of the range, whose bias
/// (at most (i + 1)/2⁶⁴) is far below anything measurable. Draws n counters.
/// requires: 0 ≤ n ≤ 2³¹ - 1 (config_error).
template <backend B = cpu>
tensor<std::int32_t, B> permutation(std::int64_t n, generator& gen) {
    LATENT_CHECK(n >= 0 && n <= std::numeric_limits<std::int32_t>::max(), config_error, "permutation: length ", n,
                 " outside [0, 2^31 - 1]");
    std::vector<std::int32_t> perm(static_cast<std::size_t>(n));
    std::iota(perm.begin(), perm.end(), 0);
    const philox_range r = gen.take(static_cast<std::uint64_t>(n));
    for (std::int64_t i = n - 1; i >= 1; --i) {
        const uint32x4 b = r.block(static_cast<std::uint64_t>(i));
        const std::uint64_t w = (static_cast<std::uint64_t>(b.w[1]) << 32) | b.w[0];
        const auto j = static_cast<std::size_t>(w % static_cast<std::uint64_t>(i + 1));
        std::swap(perm[static_cast<std::size_t>(i)], perm[j]);
    }
    return tensor<std::int32_t, B>::from_host(shape{n}, perm);
}

}  // namespace latent
