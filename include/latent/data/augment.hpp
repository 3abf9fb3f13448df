// latent/data/augment.hpp: data augmentations for loader_options::augment.
//
// Each is an `augmentation` (data/loader.hpp): it changes one example's
// features in place on the loader's decoding thread and draws its randomness
// from the generator the loader gives it for (seed, epoch, example), so an
// augmented run is reproducible and resumable. Images are [C, H, W] floats.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/loader.hpp"

namespace latent::data {

namespace detail {
inline void check_image(const example_layout& layout, const char* who) {
    LATENT_CHECK(layout.shape.size() == 3, config_error, who, ": needs [C, H, W] images, the examples have rank ",
                 layout.shape.size());
}
}  // namespace detail

/// Mirrors the image left to right with probability p.
inline augmentation random_horizontal_flip(double p = 0.5) {
    LATENT_CHECK(p >= 0 && p <= 1, config_error, "random_horizontal_flip: probability ", p, " outside [0, 1]");
    return [p](float* x, const example_layout& layout, generator& gen) {
        detail::check_image(layout, "random_horizontal_flip");
        if (gen.take(1).uniform(0) >= p) return;
        const std::int64_t planes = layout.shape[0] * layout.shape[1], w = layout.shape[2];
        for (std::int64_t r = 0; r < planes; ++r) std::reverse(x + r * w, x + (r + 1) * w);
    };
}

/// Moves the image by up to `pixels` in each direction (uniform integers), filling with `fill`.
inline augmentation random_shift(int pixels, float fill = 0.0f) {
    LATENT_CHECK(pixels >= 0, config_error, "random_shift: ", pixels, " pixels");
    return [pixels, fill](float* x, const example_layout& layout, generator& gen) {
        detail::check_image(layout, "random_shift");
        const auto r = gen.take(2);
        const int span = 2 * pixels + 1;
        const auto dy = static_cast<std::int64_t>(std::floor(r.uniform(0) * span)) - pixels;
        const auto dx = static_cast<std::int64_t>(std::floor(r.uniform(1) * span)) - pixels;
        const std::int64_t c = layout.shape[0], h = layout.shape[1], w = layout.shape[2];
        std::vector<float> src(x, x + c * h * w);
        for (std::int64_t k = 0; k < c; ++k)
            for (std::int64_t i = 0; i < h; ++i)
                for (std::int64_t j = 0; j < w; ++j) {
                    const std::int64_t si = i - dy, sj = j - dx;
                    x[(k * h + i) * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? src[(k * h + si) * w + sj] : fill;
                }
    };
}

/// Adds Gaussian noise of standard deviation `stddev` to every feature, clamped to [lo, hi].
inline augmentation gaussian_noise(double stddev, float lo = 0.0f, float hi = 1.0f) {
    LATENT_CHECK(stddev >= 0 && lo <= hi, config_error, "gaussian_noise: stddev ", stddev, ", range [", lo, ", ", hi, "]");
    return [stddev, lo, hi](float* x, const example_layout& layout, generator& gen) {
        const std::int64_t n = layout.features();
        const auto r = gen.take(static_cast<std::uint64_t>(n));
        for (std::int64_t k = 0; k < n; ++k)
            x[k] = std::clamp(static_cast<float>(x[k] + stddev * r.normal(static_cast<std::uint64_t>(k))), lo, hi);
    };
}

/// Several augmentations, applied in order.
inline augmentation compose(std::vector<augmentation> steps) {
    return [steps = std::move(steps)](float* x, const example_layout& layout, generator& gen) {
        for (const auto& s : steps) s(x, layout, gen);
    };
}

}  // namespace latent::data
