// latent/dist/normal.hpp: the diagonal Gaussian N(loc, diag scale²).
//
// The encoder posterior q_φ(z|x) of every model, the standard normal prior and
// the Gaussian likelihood (MODELS.md §1–5). Its draw is reparameterised,
// z = loc + scale ⊙ ε with ε ~ N(0, I), so that gradients reach loc and scale.
#pragma once

#include <cmath>
#include <limits>
#include <numbers>

#include "latent/autograd/grad_mode.hpp"
#include "latent/dist/detail/common.hpp"
#include "latent/tensor/random.hpp"

namespace latent::dist {

/// A batch of diagonal Gaussians N(loc, diag scale²), one per row.
/// requires: loc and scale broadcast to one shape, batch-first ([n, d]; a prior's
///           [1, d] broadcasts against an [n, d] argument); scale > 0 (not checked:
///           the values live on the backend, and a factory below keeps it positive).
/// ensures:  every member returns values batch-first; per-row results are [n].
template <scalar T = float, backend B = cpu>
struct normal {
    using value_type = T;
    using backend_type = B;
    using var_type = var<T, B>;

    var_type loc;
    var_type scale;

    /// The shape loc and scale broadcast to; shape_error naming both otherwise.
    shape batch_shape() const { return detail::batch_shape("normal (loc, scale)", loc.shape(), scale.shape()); }

    /// A reparameterised draw z = loc + scale ⊙ ε, ε ~ N(0, I) by normal_ on a fresh
    /// tensor of batch_shape() (draws that many counters from gen). Gradients reach loc and scale.
    var_type rsample(generator& gen) const {
        tensor<T, B> eps(batch_shape());
        normal_(eps, gen);
        return loc + scale * var_type(eps);
    }
    /// A draw with no graph: the same numbers as rsample from the same generator state.
    tensor<T, B> sample(generator& gen) const {
        no_grad guard;
        return rsample(gen).value();
    }

    /// log N(x | loc, scale²) per element: -(x - loc)²/(2 scale²) - log scale - ½ log 2π.
    /// requires: x broadcasts with batch_shape() (shape_error naming both). Gradients reach x, loc and scale.
    var_type log_prob_elements(const var_type& x) const {
        detail::batch_shape("normal.log_prob: x and the parameters", x.shape(), batch_shape());
        const var_type z = (x - loc) / scale;
        return (square(z) * -0.5 - log(scale)) - half_log_two_pi;
    }
    /// log N(x | loc, diag scale²) summed over the event dimensions: [n].
    var_type log_prob(const var_type& x) const { return detail::sum_event(log_prob_elements(x)); }

    /// Entropy per element: ½ log(2πe) + log scale, broadcast to batch_shape().
    var_type entropy_elements() const {
        return detail::broadcast_to(log(scale) + half_log_two_pi_e, batch_shape());
    }
    /// Entropy H = Σ_d (½ log(2πe) + log scale_d) per row: [n].
    var_type entropy() const { return detail::sum_event(entropy_elements()); }

    /// The mean, loc.
    var_type mean() const { return loc; }
    /// The standard deviation, scale.
    var_type stddev() const { return scale; }
    /// The variance, scale².
    var_type variance() const { return square(scale); }

private:
    static constexpr double half_log_two_pi = 0.91893853320467274178032973640562;    // ½ log 2π
    static constexpr double half_log_two_pi_e = 1.4189385332046727417803297364056;   // ½ log 2πe
};

template <scalar T, backend B>
normal(var<T, B>, var<T, B>) -> normal<T, B>;

/// N(loc, s²) with s = max(softplus(raw), floor), elementwise: CCVAE's encoder scale
/// `clamp(softplus(·), 1e-3)` (MODELS.md §5). The clamp, rather than softplus + floor,
/// matches the authors' code; below the floor the gradient to raw is zero (as torch.clamp).
/// requires: floor ≥ 0 (config_error).
template <scalar T, backend B>
normal<T, B> normal_from_softplus(const var<T, B>& loc, const var<T, B>& raw, double floor = 1e-3) {
    LATENT_CHECK(floor >= 0, config_error, "normal_from_softplus: scale floor ", floor, " is negative");
    return normal<T, B>{loc, clamp(softplus(raw), floor, std::numeric_limits<double>::infinity())};
}

/// N(loc, exp(log_var)): scale = exp(½ log_var), the parameterisation of Kingma & Welling's VAE.
template <scalar T, backend B>
normal<T, B> normal_from_log_var(const var<T, B>& loc, const var<T, B>& log_var) {
    return normal<T, B>{loc, exp(log_var * 0.5)};
}

/// An encoder's output h [n, 2d] read as (loc, raw) halves, columns [0, d) and [d, 2d),
/// then normal_from_softplus(loc, raw, floor).
/// requires: h has an even, non-zero number of columns (shape_error naming its shape).
template <scalar T, backend B>
normal<T, B> normal_from_params(const var<T, B>& h, double floor = 1e-3) {
    LATENT_CHECK(h.shape().rank() == 2 && h.cols() > 0 && h.cols() % 2 == 0, shape_error, "normal_from_params: encoder output ",
                 h.shape(), " must have an even number of columns [n, 2d] (loc, then raw scale)");
    const std::int64_t d = h.cols() / 2;
    return normal_from_softplus(slice_features(h, 0, d), slice_features(h, d, 2 * d), floor);
}

}  // namespace latent::dist
