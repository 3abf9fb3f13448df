// latent/dist/delta.hpp: a point mass, for deterministic codes.
//
// The swap model's specified code s = f_s(x) (MODELS.md §7) is a latent
// without noise: drawing from it returns the value itself, with its gradient.
// It has no density, so it offers no log_prob: a policy that needs one (a KL
// term, a Monte Carlo KL) rejects it through dist::has_log_prob at compile time.
#pragma once

#include "latent/core/rng.hpp"
#include "latent/dist/detail/common.hpp"

namespace latent::dist {

/// The point mass at `value` (batch-first, [n, d]).
/// ensures: rsample, sample and mean return value; entropy is 0 per row.
template <scalar T = float, backend B = cpu>
struct delta {
    using value_type = T;
    using backend_type = B;
    using var_type = var<T, B>;

    var_type value;

    /// value itself, with its gradient; draws no counters.
    var_type rsample(generator&) const { return value; }
    /// value's tensor (no graph); draws no counters.
    tensor<T, B> sample(generator&) const { return value.value(); }
    /// value itself.
    var_type mean() const { return value; }
    /// 0 per row, [n] (the differential entropy of a point mass is -∞; 0 keeps an
    /// entropy term of a deterministic code neutral, as a constant).
    var_type entropy() const { return var_type(tensor<T, B>::zeros(shape{value.rows()})); }
};

template <scalar T, backend B>
delta(var<T, B>) -> delta<T, B>;

}  // namespace latent::dist
