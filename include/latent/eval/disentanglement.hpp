// latent/eval/disentanglement.hpp: disentanglement scores against known generative factors
// (the shapes data set's shape, scale, rotation, position).
//
// MIG, the mutual information gap (Chen, Li, Grosse & Duvenaud, "Isolating sources of
// disentanglement in VAEs", 2018): for each factor v_k, the mutual informations I(z_j; v_k)
// with every latent coordinate z_j, sorted; the gap between the largest two, divided by the
// factor's entropy H(v_k), says how much one latent alone captures the factor:
//   MIG = (1/K) Σ_k (I(z_{j(1)}; v_k) − I(z_{j(2)}; v_k)) / H(v_k).
// As in the common implementations (Locatello et al.'s disentanglement_lib), each latent is
// discretised into equal-width bins over its observed range (20 by default) and the mutual
// informations are plug-in estimates from the joint histograms, in nats. Codes are usually the
// posterior means. The plug-in estimate is biased upwards by about (bins − 1)(values − 1)/(2n):
// with too few points even an independent code scores above 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// MIG with what it was computed from: `mutual_information[k][j]` = I(z_j; v_k) in nats,
/// `entropy[k]` = H(v_k), `gap[k]` the normalised gap of factor k (NaN for a constant factor,
/// which is left out of the mean), `mig` their mean.
struct mig_report {
    double mig = 0;
    std::vector<double> gap;
    std::vector<double> entropy;
    std::vector<std::vector<double>> mutual_information;
};

namespace detail {
/// Each value of column j of `codes` replaced by its bin among `bins` equal-width bins over the
/// column's range (a constant column falls in bin 0).
inline std::vector<std::int32_t> discretise_column(const host_points& codes, std::int64_t j, std::int64_t bins) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (std::int64_t i = 0; i < codes.n; ++i) {
        lo = std::min(lo, codes.row(i)[j]);
        hi = std::max(hi, codes.row(i)[j]);
    }
    std::vector<std::int32_t> out(static_cast<std::size_t>(codes.n), 0);
    if (!(hi > lo)) return out;
    const double scale = static_cast<double>(bins) / (hi - lo);
    for (std::int64_t i = 0; i < codes.n; ++i) {
        const auto b = static_cast<std::int64_t>((codes.row(i)[j] - lo) * scale);
        out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(std::min(b, bins - 1));  // the maximum → last bin
    }
    return out;
}

/// Plug-in mutual information (nats) of two discrete sequences, from their joint histogram.
inline double mutual_information(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b) {
    std::map<std::pair<std::int32_t, std::int32_t>, std::int64_t> joint;
    std::map<std::int32_t, std::int64_t> pa, pb;
    for (std::size_t i = 0; i < a.size(); ++i) {
        ++joint[{a[i], b[i]}];
        ++pa[a[i]];
        ++pb[b[i]];
    }
    const auto n = static_cast<double>(a.size());
    double mi = 0;
    for (const auto& [key, c] : joint) {
        const double pxy = static_cast<double>(c) / n;
        mi += pxy * std::log(static_cast<double>(c) * n /
                             (static_cast<double>(pa[key.first]) * static_cast<double>(pb[key.second])));
    }
    return std::max(0.0, mi);  // rounding can leave -1e-17 for independent sequences
}

/// Entropy (nats) of a discrete sequence.
inline double entropy(const std::vector<std::int32_t>& a) {
    std::map<std::int32_t, std::int64_t> counts;
    for (const std::int32_t v : a) ++counts[v];
    const auto n = static_cast<double>(a.size());
    double h = 0;
    for (const auto& [v, c] : counts) h -= static_cast<double>(c) / n * std::log(static_cast<double>(c) / n);
    return h;
}
}  // namespace detail

/// MIG of codes [n, d] against discrete factors [n, K] (see the top of this file).
/// requires: as many factor rows as codes, n ≥ 2, d ≥ 1, bins ≥ 2 (shape_error / config_error);
///           at least one non-constant factor (config_error: MIG is undefined otherwise).
/// ensures:  each gap lies in [0, 1] up to estimation error (I(z; v) ≤ H(v) for the plug-in
///           estimate); with d = 1 the gap is I(z_1; v_k) / H(v_k).
inline mig_report mutual_information_gap(const host_points& codes, const host_labels& factors, std::int64_t bins = 20) {
    LATENT_CHECK(codes.n == factors.n, shape_error, "mutual_information_gap: ", codes.n, " codes but ", factors.n,
                 " rows of factors");
    LATENT_CHECK(codes.n >= 2 && codes.d >= 1, shape_error, "mutual_information_gap: need at least 2 codes, got ",
                 codes.n, "×", codes.d);
    LATENT_CHECK(bins >= 2, config_error, "mutual_information_gap: bins ", bins, " must be at least 2");
    const std::int64_t K = factors.width, d = codes.d;
    std::vector<std::vector<std::int32_t>> z(static_cast<std::size_t>(d));
    for (std::int64_t j = 0; j < d; ++j) z[static_cast<std::size_t>(j)] = detail::discretise_column(codes, j, bins);
    mig_report r;
    r.gap.resize(static_cast<std::size_t>(K));
    r.entropy.resize(static_cast<std::size_t>(K));
    r.mutual_information.assign(static_cast<std::size_t>(K), std::vector<double>(static_cast<std::size_t>(d)));
    double sum = 0;
    std::int64_t used = 0;
    for (std::int64_t k = 0; k < K; ++k) {
        std::vector<std::int32_t> v(static_cast<std::size_t>(codes.n));
        for (std::int64_t i = 0; i < codes.n; ++i) v[static_cast<std::size_t>(i)] = factors.at(i, k);
        const double h = detail::entropy(v);
        auto& mi = r.mutual_information[static_cast<std::size_t>(k)];
        for (std::int64_t j = 0; j < d; ++j)
            mi[static_cast<std::size_t>(j)] = detail::mutual_information(z[static_cast<std::size_t>(j)], v);
        r.entropy[static_cast<std::size_t>(k)] = h;
        if (h <= 0) {
            r.gap[static_cast<std::size_t>(k)] = std::numeric_limits<double>::quiet_NaN();
            continue;
        }
        std::vector<double> sorted = mi;
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        const double second = sorted.size() > 1 ? sorted[1] : 0.0;
        r.gap[static_cast<std::size_t>(k)] = (sorted[0] - second) / h;
        sum += r.gap[static_cast<std::size_t>(k)];
        ++used;
    }
    LATENT_CHECK(used > 0, config_error, "mutual_information_gap: every factor is constant, so MIG is undefined");
    r.mig = sum / static_cast<double>(used);
    return r;
}

}  // namespace latent::eval
