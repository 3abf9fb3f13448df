// latent/data/swiss_roll.hpp: scikit-learn's swiss roll, labelled as in the CSVAE toy experiment.
//
// The points follow sklearn.datasets.make_swiss_roll exactly in distribution:
//   t = 1.5π(1 + 2u),  x = t·cos t,  y = 21·v,  z = t·sin t,   u, v ~ U[0, 1)
// plus, when asked, N(0, noise²) added to each of x, y, z. The numbers differ
// from numpy's (numpy's Mersenne Twister is not ours): every draw comes from
// the library's Philox generator, so a seed gives the same roll on any machine
// and on any backend. Draw order mirrors sklearn's: n values of u, then n of
// v, then 3n normals (x, y, z of point 0, then of point 1, ...) if noise > 0.
//
// The label (CSVAE, Klys et al. 2018, §5.1: a binary label "splitting the roll
// in half") is by default which half of the roll parameter a point lies on:
//   label = 0 if t < 3π (the inner half of the spiral), 1 otherwise,
// 3π being the midpoint of t's range [1.5π, 4.5π). Since t is affine in u,
// this is u < ½, so the halves are equal in expectation and the label is a
// function of the noise-free point. The other reading found in reproductions,
// splitting along the roll's axis (y < 10.5, i.e. v < ½), is `split::height`.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"

namespace latent::data {

/// Options of make_swiss_roll: `swiss_roll_options{}.noise(0.1).split(swiss_roll_options::halves::by_t)`.
class swiss_roll_options {
public:
    /// Which half of the roll is label 1.
    enum class halves {
        by_t,       // t ≥ 3π: the outer half of the spiral (default)
        by_height,  // y ≥ 10.5 (noise-free): the upper half along the roll's axis
    };

    /// Standard deviation of the Gaussian noise added to each coordinate (sklearn's `noise`).
    swiss_roll_options& noise(double v) { noise_ = v; return *this; }
    swiss_roll_options& split(halves v) { split_ = v; return *this; }

    double noise() const { return noise_; }
    halves split() const { return split_; }

    /// Throws config_error if noise is negative or not finite.
    void validate() const {
        LATENT_CHECK(std::isfinite(noise_) && noise_ >= 0, config_error,
                     "swiss_roll_options: noise must be a finite value >= 0, not ", noise_);
    }

private:
    double noise_ = 0.0;
    halves split_ = halves::by_t;
};

/// A swiss roll: the points as a dataset (features {3} = x, y, z; one binary label "half")
/// and each point's roll parameter t, for colouring plots.
struct swiss_roll {
    in_memory data;
    std::vector<double> t;  // t[i] for example i, in [1.5π, 4.5π)
};

/// The start and end of the roll parameter's range, and the midpoint that splits it in half.
inline constexpr double swiss_roll_t_min = 1.5 * std::numbers::pi;
inline constexpr double swiss_roll_t_max = 4.5 * std::numbers::pi;
inline constexpr double swiss_roll_t_mid = 3.0 * std::numbers::pi;

/// n points of the swiss roll, drawn from `gen` (which advances by 2n, or 5n with noise).
/// requires: n ≥ 0; options valid (config_error otherwise).
/// ensures:  example i is (t·cos t + ε₀, 21v + ε₁, t·sin t + ε₂) with t = 1.5π(1 + 2u),
///           u = gen's i-th uniform, v = its (n + i)-th, ε the (2n + 3i + k)-th normals × noise;
///           label as described at the top of this header.
inline swiss_roll make_swiss_roll(std::int64_t n, generator& gen, const swiss_roll_options& options = {}) {
    LATENT_CHECK(n >= 0, config_error, "make_swiss_roll: n must be >= 0, not ", n);
    options.validate();
    const auto count = static_cast<std::uint64_t>(n);
    const philox_range us = gen.take(count);
    const philox_range vs = gen.take(count);
    const bool noisy = options.noise() > 0;
    const philox_range eps = noisy ? gen.take(3 * count) : philox_range{};

    std::vector<float> xyz(static_cast<std::size_t>(3 * n));
    std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
    std::vector<double> ts(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < count; ++i) {
        const double u = us.uniform(i), v = vs.uniform(i);
        const double t = 1.5 * std::numbers::pi * (1.0 + 2.0 * u);
        double p[3] = {t * std::cos(t), 21.0 * v, t * std::sin(t)};
        if (noisy)
            for (std::uint64_t k = 0; k < 3; ++k) p[k] += options.noise() * eps.normal(3 * i + k);
        for (std::uint64_t k = 0; k < 3; ++k) xyz[3 * i + k] = static_cast<float>(p[k]);
        ts[i] = t;
        // Decided on u and v, not on t and y, so that rounding cannot move a point across the split.
        const bool upper = options.split() == swiss_roll_options::halves::by_t ? u >= 0.5 : v >= 0.5;
        labels[i] = upper ? 1 : 0;
    }
    example_layout layout{{3}, 1, 2, {"half"}};
    return {in_memory::from_floats(std::move(layout), std::move(xyz), std::move(labels)), std::move(ts)};
}

/// n points of the swiss roll from a seed (stream 0, offset 0): the same seed gives the same roll.
inline swiss_roll make_swiss_roll(std::int64_t n, std::uint64_t seed, const swiss_roll_options& options = {}) {
    generator gen(seed);
    return make_swiss_roll(n, gen, options);
}

}  // namespace latent::data
