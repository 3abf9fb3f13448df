// latent/eval/identity_transfer.hpp: seed 000's Method 2 (its eq. 6), whether a switch keeps
// the identity. For pairs of real images sharing an identity (same factors but the label),
// `original` has the source label, `target` the target label, and `changed` is the model's
// switch of `original` to the target label. A good switch lands near `target`:
//   MSE(target, changed) small, and below MSE(original, changed);
// MSE(target, original) is the scale of the label change itself.
// Each MSE is the per-pixel mean of the squared difference of one pair, averaged over pairs.
#pragma once

#include <cstdint>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// The three mean squared errors of Method 2.
struct identity_transfer_report {
    double target_changed = 0;
    double original_changed = 0;
    double target_original = 0;
    std::int64_t pairs = 0;
};

/// Method 2 on n triples: row i of each set is one image (any shape [n, …], read as n rows of
/// pixels). requires: three sets of equal shape, n ≥ 1 (shape_error naming the shapes).
inline identity_transfer_report identity_transfer_mse(const host_points& original, const host_points& changed,
                                                      const host_points& target) {
    LATENT_CHECK(original.n == changed.n && original.n == target.n && original.d == changed.d &&
                     original.d == target.d,
                 shape_error, "identity_transfer_mse: original ", original.n, "×", original.d, ", changed ",
                 changed.n, "×", changed.d, " and target ", target.n, "×", target.d, " differ");
    LATENT_CHECK(original.n >= 1, shape_error, "identity_transfer_mse: no pairs");
    identity_transfer_report r;
    r.pairs = original.n;
    const auto d = static_cast<double>(original.d);
    for (std::int64_t i = 0; i < original.n; ++i) {
        const double *o = original.row(i), *c = changed.row(i), *t = target.row(i);
        double tc = 0, oc = 0, to = 0;
        for (std::int64_t k = 0; k < original.d; ++k) {
            tc += (t[k] - c[k]) * (t[k] - c[k]);
            oc += (o[k] - c[k]) * (o[k] - c[k]);
            to += (t[k] - o[k]) * (t[k] - o[k]);
        }
        r.target_changed += tc / d;
        r.original_changed += oc / d;
        r.target_original += to / d;
    }
    const auto n = static_cast<double>(original.n);
    r.target_changed /= n;
    r.original_changed /= n;
    r.target_original /= n;
    return r;
}

}  // namespace latent::eval
