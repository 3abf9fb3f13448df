// latent/eval/knn_kl.hpp: the k-nearest-neighbour estimate of KL(P‖Q) from two samples
// (Wang, Kulkarni & Verdú, "Divergence estimation for multidimensional densities via
// k-nearest-neighbor distances", IEEE Trans. Inf. Theory 55(5), 2009), as seed 001 uses it on
// label-conditional latents: KL(q(z | y = 1) ‖ q(z | y = 0)) near 0 means z holds no label.
//
// With P = {x_1 … x_n} and Q = {y_1 … y_m} in R^d,
//   D̂(P‖Q) = (d/n) Σ_i log(ν_k(i) / ρ_k(i)) + log(m / (n − 1)),
// ρ_k(i) the Euclidean distance from x_i to its k-th nearest neighbour among P without x_i,
// ν_k(i) the distance from x_i to its k-th nearest neighbour in Q. It is consistent (n, m → ∞,
// k fixed) for continuous densities; it is not guaranteed non-negative on finite samples, and
// where P has mass in regions Q's sample does not reach (P wider than Q) it converges slowly,
// from below: KL(N(0, 4I) ‖ N(0, I)) in 2-D is 1.61, estimated about 1.1 with n = m = 4000.
//
// Duplicates: equal points give zero distances, log 0 = −∞, which continuous densities never
// produce. Every distance below `min_distance` (default 1e-10) is raised to it, so that the
// estimate stays finite; the number of distances raised is reported (`floored`) so that a
// caller sees when duplicates (for instance a collapsed encoder's constant output) dominate.
// When both ρ and ν of a point are floored its term is log 1 = 0: identical samples of one
// point estimate a divergence of about log(m / (n − 1)) ≈ 0.
//
// Cost: exact brute force, O((n + m)·n·d), split over OpenMP threads by point of P: about
// a second for n = m = 5000 in a few dimensions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// Options of the kNN KL estimate: `knn_kl_options{}.k(1).min_distance(1e-10)`.
class knn_kl_options {
public:
    /// Which neighbour (default 1, the nearest).
    knn_kl_options& k(std::int64_t v) {
        LATENT_CHECK(v >= 1, config_error, "knn_kl_options::k: ", v, " must be at least 1");
        k_ = v;
        return *this;
    }
    /// Floor on every neighbour distance (default 1e-10), see the top of this file.
    knn_kl_options& min_distance(double v) {
        LATENT_CHECK(v > 0, config_error, "knn_kl_options::min_distance: ", v, " must be positive");
        min_distance_ = v;
        return *this;
    }
    std::int64_t k() const { return k_; }
    double min_distance() const { return min_distance_; }

private:
    std::int64_t k_ = 1;
    double min_distance_ = 1e-10;
};

/// The estimate and how many of its 2n distances were raised to min_distance.
struct knn_kl_result {
    double value = 0;
    std::int64_t floored = 0;
};

namespace detail {
/// Squared distance from `a` to the k-th nearest of the `count` rows of `set` (skipping row
/// `skip`, or none when skip < 0), keeping the k smallest seen in `best` (sorted, ascending).
inline double kth_nearest_squared(const double* a, const host_points& set, std::int64_t skip, std::int64_t k,
                                  std::vector<double>& best) {
    best.assign(static_cast<std::size_t>(k), std::numeric_limits<double>::infinity());
    const std::int64_t d = set.d;
    for (std::int64_t j = 0; j < set.n; ++j) {
        if (j == skip) continue;
        const double* b = set.row(j);
        double s = 0;
        for (std::int64_t c = 0; c < d; ++c) s += (a[c] - b[c]) * (a[c] - b[c]);
        if (s < best.back()) {
            // insertion into the sorted list of the k best; k is small
            std::size_t pos = best.size() - 1;
            while (pos > 0 && best[pos - 1] > s) {
                best[pos] = best[pos - 1];
                --pos;
            }
            best[pos] = s;
        }
    }
    return best.back();
}
}  // namespace detail

/// The kNN estimate of KL(P‖Q) and its count of floored distances (see the top of this file).
/// requires: p [n, d] and q [m, d] with the same d ≥ 1, n ≥ k + 1, m ≥ k (shape_error / config_error).
/// ensures:  a finite value; deterministic (each point's term is computed alone and summed in order).
inline knn_kl_result knn_kl_estimate(const host_points& p, const host_points& q, const knn_kl_options& options = {}) {
    const std::int64_t k = options.k();
    LATENT_CHECK(p.d == q.d, shape_error, "knn_kl: P has points of ", p.d, " coordinates, Q of ", q.d);
    LATENT_CHECK(p.n >= k + 1 && q.n >= k, config_error, "knn_kl: k = ", k, " needs at least ", k + 1,
                 " points in P and ", k, " in Q, got ", p.n, " and ", q.n);
    const double floor2 = options.min_distance() * options.min_distance();
    std::vector<double> terms(static_cast<std::size_t>(p.n));
    std::vector<std::int32_t> floored(static_cast<std::size_t>(p.n));
    const std::int64_t n = p.n;
#if LATENT_HAS_OPENMP
#pragma omp parallel if (n * (n + q.n) * p.d >= (std::int64_t{1} << 20))
#endif
    {
        std::vector<double> best;
#if LATENT_HAS_OPENMP
#pragma omp for schedule(static)
#endif
        for (std::int64_t i = 0; i < n; ++i) {
            const double* a = p.row(i);
            double rho2 = detail::kth_nearest_squared(a, p, i, k, best);
            double nu2 = detail::kth_nearest_squared(a, q, -1, k, best);
            std::int32_t f = 0;
            if (rho2 < floor2) rho2 = floor2, ++f;
            if (nu2 < floor2) nu2 = floor2, ++f;
            terms[static_cast<std::size_t>(i)] = 0.5 * std::log(nu2 / rho2);  // log of the distance ratio
            floored[static_cast<std::size_t>(i)] = f;
        }
    }
    knn_kl_result r;
    double sum = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        sum += terms[i];
        r.floored += floored[i];
    }
    r.value = static_cast<double>(p.d) / static_cast<double>(n) * sum +
              std::log(static_cast<double>(q.n) / static_cast<double>(n - 1));
    return r;
}

/// The kNN estimate of KL(P‖Q) (knn_kl_estimate's value).
inline double knn_kl_divergence(const host_points& p, const host_points& q, const knn_kl_options& options = {}) {
    return knn_kl_estimate(p, q, options).value;
}

/// KL(P‖Q) between the points of `x` with label `p_label` and those with label `q_label`:
/// "knn_kl_z" is knn_kl_by_label(z_test, y_test, 1, 0).
/// requires: one label per point (shape_error); enough points of each label (as knn_kl_estimate).
inline double knn_kl_by_label(const host_points& x, const host_labels& labels, std::int32_t p_label,
                              std::int32_t q_label, const knn_kl_options& options = {}) {
    LATENT_CHECK(labels.width == 1 && labels.n == x.n, shape_error, "knn_kl_by_label: ", x.n, " points and ",
                 labels.n, "×", labels.width, " labels");
    host_points p, q;
    p.d = q.d = x.d;
    for (std::int64_t i = 0; i < x.n; ++i) {
        const std::int32_t l = labels.at(i);
        if (l != p_label && l != q_label) continue;
        host_points& to = l == p_label ? p : q;
        to.values.insert(to.values.end(), x.row(i), x.row(i) + x.d);
        ++to.n;
    }
    return knn_kl_divergence(p, q, options);
}

}  // namespace latent::eval
