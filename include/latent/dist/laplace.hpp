// latent/dist/laplace.hpp: the diagonal Laplace distribution, density
// exp(-|x - loc| / scale) / (2 scale) per element.
//
// CCVAE's image likelihood (Laplace(recon, 1), MODELS.md §5) and a heavier-tailed
// alternative to the Gaussian one. Its draw is reparameterised by the inverse CDF.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "latent/autograd/grad_mode.hpp"
#include "latent/dist/detail/common.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

namespace kernels {
/// out[i] = standard Laplace draw by inverse CDF: ε = -sign(v)·log(1 - 2|v|), v uniform in (-½, ½).
/// v = (2k + 1)·2⁻⁵³ - ½ with k the top 52 bits of the element's first two words: an exact
/// double, symmetric about 0, never 0 and never ±½, so the logarithm is always finite
/// (|ε| ≤ 52 log 2 ≈ 36) and the endpoint u = ±½ of the textbook formula cannot occur.
template <class T>
struct standard_laplace_fill {
    T* out;
    philox_range r;
    LATENT_HD void operator()(std::size_t i) const {
        using std::fabs;
        using std::log1p;
        const uint32x4 b = r.block(i);
        const std::uint64_t word = (static_cast<std::uint64_t>(b.w[1]) << 32) | b.w[0];
        const double v = static_cast<double>(((word >> 12) << 1) | 1u) * (1.0 / 9007199254740992.0) - 0.5;
        const double e = -log1p(-2.0 * fabs(v));
        out[i] = static_cast<T>(v < 0 ? -e : e);
    }
};
}  // namespace kernels

namespace dist {

/// Fills t with standard Laplace draws (loc 0, scale 1), one counter per element.
template <scalar T, backend B>
void standard_laplace_(tensor<T, B>& t, generator& gen) {
    launch(B{}, t.size(), kernels::standard_laplace_fill<T>{t.data(), gen.take(t.size())});
}

/// A batch of diagonal Laplace distributions, one per row.
/// requires: loc and scale broadcast to one shape, batch-first; scale > 0 (not checked).
/// ensures:  per-row results are [n]; mean loc, variance 2 scale².
template <scalar T = float, backend B = cpu>
struct laplace {
    using value_type = T;
    using backend_type = B;
    using var_type = var<T, B>;

    var_type loc;
    var_type scale;

    /// The shape loc and scale broadcast to; shape_error naming both otherwise.
    shape batch_shape() const { return detail::batch_shape("laplace (loc, scale)", loc.shape(), scale.shape()); }

    /// A reparameterised draw z = loc + scale ⊙ ε, ε standard Laplace by inverse CDF
    /// (standard_laplace_, batch_shape().numel() counters). Gradients reach loc and scale.
    var_type rsample(generator& gen) const {
        tensor<T, B> eps(batch_shape());
        standard_laplace_(eps, gen);
        return loc + scale * var_type(eps);
    }
    /// A draw with no graph: the same numbers as rsample from the same generator state.
    tensor<T, B> sample(generator& gen) const {
        no_grad guard;
        return rsample(gen).value();
    }

    /// log p(x) per element: -|x - loc| / scale - log(2 scale).
    /// requires: x broadcasts with batch_shape() (shape_error). The gradient of |·| at 0 is 0.
    var_type log_prob_elements(const var_type& x) const {
        detail::batch_shape("laplace.log_prob: x and the parameters", x.shape(), batch_shape());
        return -(abs(x - loc) / scale) - log(scale) - log_two;
    }
    /// log p(x) summed over the event dimensions: [n].
    var_type log_prob(const var_type& x) const { return detail::sum_event(log_prob_elements(x)); }

    /// Entropy per element: 1 + log(2 scale), broadcast to batch_shape().
    var_type entropy_elements() const { return detail::broadcast_to(log(scale) + one_plus_log_two, batch_shape()); }
    /// Entropy Σ_d (1 + log 2 scale_d) per row: [n].
    var_type entropy() const { return detail::sum_event(entropy_elements()); }

    /// The mean, loc.
    var_type mean() const { return loc; }
    /// The standard deviation, √2·scale.
    var_type stddev() const { return scale * std::numbers::sqrt2; }
    /// The variance, 2 scale².
    var_type variance() const { return square(scale) * 2.0; }

private:
    static constexpr double log_two = 0.69314718055994530941723212145818;
    static constexpr double one_plus_log_two = 1.6931471805599453094172321214582;
};

template <scalar T, backend B>
laplace(var<T, B>, var<T, B>) -> laplace<T, B>;

}  // namespace dist
}  // namespace latent
