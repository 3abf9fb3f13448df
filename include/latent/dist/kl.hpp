// latent/dist/kl.hpp: Kullback–Leibler divergences KL(q ‖ p) per row.
//
// Analytic for two diagonal Gaussians (the KL terms of MODELS.md §1–5), a Monte
// Carlo estimate for any pair that can be sampled with a gradient and scored.
#pragma once

#include <cstdint>

#include "latent/dist/concepts.hpp"
#include "latent/dist/normal.hpp"

namespace latent::dist {

/// KL(q ‖ p) of diagonal Gaussians, per element:
///   log(σ_p/σ_q) + (σ_q² + (μ_q - μ_p)²) / (2σ_p²) - ½.
/// requires: q's and p's parameters broadcast together (a prior's [1, d] against q's [n, d]);
///           shape_error naming both shapes otherwise.
template <scalar T, backend B>
var<T, B> kl_elements(const normal<T, B>& q, const normal<T, B>& p) {
    detail::batch_shape("kl(normal, normal): q and p", q.batch_shape(), p.batch_shape());
    const var<T, B> ratio = q.scale / p.scale;
    const var<T, B> gap = (q.loc - p.loc) / p.scale;
    return (square(ratio) + square(gap)) * 0.5 - log(ratio) - 0.5;
}

/// KL(q ‖ p) of diagonal Gaussians summed over the event dimensions: [n], ≥ 0.
/// Gradients reach all four parameters.
template <scalar T, backend B>
var<T, B> kl(const normal<T, B>& q, const normal<T, B>& p) {
    return detail::sum_event(kl_elements(q, p));
}

/// KL(q ‖ N(0, I)) per element: ½(μ² + σ² - 1) - log σ.
template <scalar T, backend B>
var<T, B> kl_standard_normal_elements(const normal<T, B>& q) {
    const var<T, B> e = (square(q.loc) + square(q.scale) - 1.0) * 0.5 - log(q.scale);
    return detail::broadcast_to(e, q.batch_shape());
}

/// KL(q ‖ N(0, I)) summed over the event dimensions: [n] (the VAE's KL term, MODELS.md §1).
template <scalar T, backend B>
var<T, B> kl_standard_normal(const normal<T, B>& q) {
    return detail::sum_event(kl_standard_normal_elements(q));
}

/// A Monte Carlo estimate of KL(q ‖ p) per row, [n]: the mean over `samples`
/// reparameterised draws z ~ q of log q(z) - log p(z). Unbiased; gradients reach
/// the parameters of both through z and the densities.
/// requires: q reparameterisable with a log_prob, p with a log_prob, of the same scalar
///           and backend; samples ≥ 1 (config_error). Draws `samples` times from gen.
template <reparameterisable Q, has_log_prob P>
    requires has_log_prob<Q> && std::same_as<typename Q::value_type, typename P::value_type> &&
             std::same_as<typename Q::backend_type, typename P::backend_type>
var<typename Q::value_type, typename Q::backend_type> kl_monte_carlo(const Q& q, const P& p, generator& gen,
                                                                     int samples = 1) {
    LATENT_CHECK(samples >= 1, config_error, "kl_monte_carlo: samples = ", samples, ", need at least 1");
    using var_type = var<typename Q::value_type, typename Q::backend_type>;
    var_type total;
    for (int s = 0; s < samples; ++s) {
        const var_type z = q.rsample(gen);
        const var_type term = q.log_prob(z) - p.log_prob(z);
        total = s == 0 ? term : total + term;
    }
    return samples == 1 ? total : total * (1.0 / samples);
}

}  // namespace latent::dist
