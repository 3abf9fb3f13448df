// latent/space/posteriors.hpp: how a block's encoder head becomes a distribution.
//
// A posterior policy says what the head sees (`condition`: from_x or
// from_x_and_y), how many outputs it needs per latent dimension, and how those
// outputs make q(segment | ·). The model builds one head per block with
// `params_per_dim × dim` outputs and calls `make` on them.
#pragma once

#include <concepts>
#include <cstdint>

#include "latent/autograd/ops/shape.hpp"
#include "latent/dist/delta.hpp"
#include "latent/dist/normal.hpp"
#include "latent/space/block.hpp"

namespace latent {

/// scale = max(softplus(raw), floor): CCVAE's clamp(softplus(·), 1e-3) (MODELS.md §5).
struct softplus_scale {
    template <scalar T, backend B>
    static dist::normal<T, B> make(const var<T, B>& loc, const var<T, B>& raw) {
        return dist::normal_from_softplus(loc, raw, 1e-3);
    }
};
/// scale = exp(½·raw): the head outputs a log-variance (Kingma & Welling's parameterisation).
struct log_variance_scale {
    template <scalar T, backend B>
    static dist::normal<T, B> make(const var<T, B>& loc, const var<T, B>& raw) {
        return dist::normal_from_log_var(loc, raw);
    }
};

/// q(segment | condition) = N(loc, diag scale²); the head outputs [loc | raw], 2·dim values.
template <class Condition = from_x, class Scale = softplus_scale>
struct gaussian_posterior {
    using condition = Condition;
    static constexpr std::int64_t params_per_dim = 2;
    static constexpr bool stochastic = true;
    template <scalar T, backend B>
    static auto make(const var<T, B>& params, std::int64_t dim) {
        return Scale::make(slice_features(params, 0, dim), slice_features(params, dim, 2 * dim));
    }
};

/// A deterministic code (the swap model's s): the head's output is the segment.
template <class Condition = from_x>
struct deterministic {
    using condition = Condition;
    static constexpr std::int64_t params_per_dim = 1;
    static constexpr bool stochastic = false;
    template <scalar T, backend B>
    static dist::delta<T, B> make(const var<T, B>& params, std::int64_t) {
        return dist::delta<T, B>{params};
    }
};

/// What the model template needs of a posterior policy.
template <class P>
concept posterior_policy = requires {
    typename P::condition;
    { P::params_per_dim } -> std::convertible_to<std::int64_t>;
    { P::stochastic } -> std::convertible_to<bool>;
    { P::template make<float, cpu>(var<float, cpu>{}, std::int64_t{}) };
};

}  // namespace latent
