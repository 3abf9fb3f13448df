// latent/eval/triplet_accuracy.hpp: how well each query's masked subspace orders its triplets.
//
// For query q with mask m_q over the code's D dims and triplets (i, j, k) of that query (i
// shares q's factor value with j, not with k; data/triplets.hpp), the accuracy in a subspace
// with weights w is the fraction of triplets with d_w(i, j) < d_w(i, k), d_w(a, b) =
// Σ_h w_h (a_h − b_h)², a tie counting one half (so a subspace that sees nothing scores 0.5):
//   own    w = m_q: the query's own subspace; near 1 when it holds the factor;
//   other  w = Σ_{q' ≠ q} m_q': the other queries' subspaces together; near 0.5 (chance) when
//          they hold nothing of q's factor (Karaletsos et al.'s disentanglement claim). NaN when
//          there is no other query. The dims no mask covers are in neither.
// Codes are usually the posterior means.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/data/samplers.hpp"
#include "latent/data/triplets.hpp"
#include "latent/eval/host_data.hpp"

namespace latent::eval {

/// Per query: accuracy in its own masked subspace, in the others' together, and the triplets counted.
struct triplet_accuracy_report {
    std::vector<double> own;
    std::vector<double> other;
    std::vector<std::int64_t> triplets;
};

namespace detail {
inline double weighted_distance(const host_points& codes, std::int64_t a, std::int64_t b, const std::vector<double>& w) {
    double d = 0;
    for (std::int64_t h = 0; h < codes.d; ++h) {
        const double diff = codes.row(a)[h] - codes.row(b)[h];
        d += w[static_cast<std::size_t>(h)] * diff * diff;
    }
    return d;
}
inline double ordered_fraction(const host_points& codes, const std::vector<data::triplet>& ts,
                               const std::vector<double>& w) {
    if (ts.empty()) return std::numeric_limits<double>::quiet_NaN();
    double right = 0;
    for (const auto& t : ts) {
        const double same = weighted_distance(codes, t.anchor, t.same, w);
        const double other = weighted_distance(codes, t.anchor, t.other, w);
        right += same < other ? 1.0 : same == other ? 0.5 : 0.0;
    }
    return right / static_cast<double>(ts.size());
}
}  // namespace detail

/// Triplet accuracy of `codes` [n, D] with masks [Q][D] (a model's term masks()) on given
/// triplets, `triplets[q]` those of query q. Throws shape_error naming the mismatch (a mask's
/// length, the number of triplet lists, an index outside the codes).
inline triplet_accuracy_report triplet_accuracy(const host_points& codes, const std::vector<std::vector<double>>& masks,
                                                const std::vector<std::vector<data::triplet>>& triplets) {
    LATENT_CHECK(!masks.empty(), shape_error, "triplet_accuracy: no masks (one per query is needed)");
    LATENT_CHECK(triplets.size() == masks.size(), shape_error, "triplet_accuracy: ", triplets.size(),
                 " triplet lists for ", masks.size(), " queries' masks");
    for (std::size_t q = 0; q < masks.size(); ++q)
        LATENT_CHECK(static_cast<std::int64_t>(masks[q].size()) == codes.d, shape_error, "triplet_accuracy: mask ", q,
                     " has ", masks[q].size(), " values for codes of ", codes.d, " dims");
    for (std::size_t q = 0; q < triplets.size(); ++q)
        for (const auto& t : triplets[q])
            LATENT_CHECK(t.anchor >= 0 && t.anchor < codes.n && t.same >= 0 && t.same < codes.n && t.other >= 0 &&
                             t.other < codes.n,
                         shape_error, "triplet_accuracy: triplet (", t.anchor, ", ", t.same, ", ", t.other,
                         ") of query ", q, " outside the ", codes.n, " codes");
    const std::size_t queries = masks.size();
    triplet_accuracy_report r;
    for (std::size_t q = 0; q < queries; ++q) {
        std::vector<double> rest(static_cast<std::size_t>(codes.d), 0.0);
        for (std::size_t o = 0; o < queries; ++o)
            if (o != q)
                for (std::size_t h = 0; h < rest.size(); ++h) rest[h] += masks[o][h];
        r.own.push_back(detail::ordered_fraction(codes, triplets[q], masks[q]));
        r.other.push_back(queries > 1 ? detail::ordered_fraction(codes, triplets[q], rest)
                                      : std::numeric_limits<double>::quiet_NaN());
        r.triplets.push_back(static_cast<std::int64_t>(triplets[q].size()));
    }
    return r;
}

/// The same on `count` triplets per query drawn from labels [n, Q] (query q reads column q, a
/// factor's value index) by data::triplet_sampler under `seed`. Throws shape_error when the
/// labels' rows or columns do not match the codes and masks, config_error when a column has no
/// triplets.
inline triplet_accuracy_report triplet_accuracy(const host_points& codes, const host_labels& labels,
                                                const std::vector<std::vector<double>>& masks, std::int64_t count,
                                                std::uint64_t seed = 0) {
    LATENT_CHECK(labels.n == codes.n, shape_error, "triplet_accuracy: ", labels.n, " label rows for ", codes.n,
                 " codes");
    LATENT_CHECK(labels.width == static_cast<std::int64_t>(masks.size()), shape_error, "triplet_accuracy: labels of ",
                 labels.width, " columns for ", masks.size(), " queries' masks (one column per query)");
    const data::label_table table{labels.values, static_cast<int>(labels.width)};
    std::vector<std::vector<data::triplet>> triplets;
    for (std::int64_t q = 0; q < labels.width; ++q)
        triplets.push_back(data::triplet_sampler(table, static_cast<int>(q), seed).draw_many(count));
    return triplet_accuracy(codes, masks, triplets);
}

}  // namespace latent::eval
