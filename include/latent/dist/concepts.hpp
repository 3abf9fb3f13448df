// latent/dist/concepts.hpp: what a distribution policy must provide.
//
// A distribution is a small value type over var<T, B> parameters, batch-first
// (the first extent of every parameter is the batch). These concepts are what
// priors, posteriors, likelihoods and KL estimators ask of their distributions,
// so that a user's own distribution plugs in when it has the same members.
#pragma once

#include <concepts>

#include "latent/autograd/var.hpp"
#include "latent/core/rng.hpp"

namespace latent::dist {

/// A distribution: names its scalar and backend (`value_type`, `backend_type`),
/// has a `mean()` and draws with `rsample(generator&)` (a var, reparameterised)
/// or `sample(generator&)` (a tensor, no gradient), or both.
template <class D>
concept distribution = requires(const D& d) {
    typename D::value_type;
    typename D::backend_type;
    d.mean();
} && (requires(const D& d, generator& gen) { d.rsample(gen); } ||
      requires(const D& d, generator& gen) { d.sample(gen); });

/// A distribution whose draw is a differentiable function of its parameters:
/// `rsample(generator&)` returns a var through which gradients reach them.
template <class D>
concept reparameterisable = distribution<D> && requires(const D& d, generator& gen) {
    { d.rsample(gen) } -> std::same_as<var<typename D::value_type, typename D::backend_type>>;
};

/// A distribution with a density: `log_prob(x)` of a var x [n, ...] gives log p(x), one value per row ([n]).
template <class D>
concept has_log_prob = distribution<D> && requires(const D& d, const var<typename D::value_type, typename D::backend_type>& x) {
    { d.log_prob(x) } -> std::same_as<var<typename D::value_type, typename D::backend_type>>;
};

/// A distribution with an entropy, one value per row ([n]).
template <class D>
concept has_entropy = distribution<D> && requires(const D& d) {
    { d.entropy() } -> std::same_as<var<typename D::value_type, typename D::backend_type>>;
};

}  // namespace latent::dist
