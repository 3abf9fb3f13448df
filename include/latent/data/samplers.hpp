// latent/data/samplers.hpp: which examples, in which order: shuffles, splits,
// class subsets, hidden labels for semi-supervised training, and the
// pair/triplet sampler of the swap model.
//
// Everything here is a pure function of its inputs and a seed: the draws come
// from Philox (core/rng.hpp) under a stream derived from what the draw is for
// (an epoch's shuffle, a split, a supervision mask, a pair), so a resumed run
// or another machine computes exactly the same indices, and two purposes
// sharing one seed never share random numbers.
//
// Samplers work on labels only (`label_table`), never on features, so that a
// split of a streamed dataset does not decode its images. `label_table::of`
// takes them from a source's `labels_of(i)` when it has one (in_memory does)
// and otherwise reads every example once.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <numeric>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"

namespace latent::data {

/// A list of example indices into a dataset.
using index_list = std::vector<std::int64_t>;

namespace detail {

/// The high 64 bits of a 64×64-bit product (portable: no __int128 under -Wpedantic).
inline std::uint64_t mulhi64(std::uint64_t a, std::uint64_t b) {
    const std::uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32, b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + lo_hi;
    return hi_hi + (hi_lo >> 32) + (cross >> 32);
}

/// An integer in [0, bound) from a 64-bit random word: ⌊word·bound / 2⁶⁴⌋ (Lemire's
/// multiply-shift without rejection; its bias, below bound/2⁶⁴, is far under anything measurable).
inline std::uint64_t below(std::uint64_t word, std::uint64_t bound) { return mulhi64(word, bound); }

inline std::uint64_t low_word(const uint32x4& b) { return (static_cast<std::uint64_t>(b.w[1]) << 32) | b.w[0]; }
inline std::uint64_t high_word(const uint32x4& b) { return (static_cast<std::uint64_t>(b.w[3]) << 32) | b.w[2]; }

/// What a draw is for; each purpose gets its own Philox streams.
enum class purpose : std::uint32_t { epoch = 1, split = 2, supervision = 3, pairs = 4, labelled = 5, unlabelled = 6 };

/// The Philox stream of (purpose, a, b): the block Philox gives the counter (a, b, purpose) under
/// a fixed key. Philox is a bijection of counters, so distinct triples give distinct 128-bit
/// blocks, of which the low 64 bits are kept: distinct streams but for a 2⁻⁶⁴ chance.
inline std::uint64_t derived_stream(purpose p, std::uint64_t a, std::uint32_t b = 0) {
    constexpr uint32x2 key{{0x6C617465u, 0x6E742121u}};  // "latent!!"
    return low_word(philox4x32_10(
        uint32x4{{static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32), b, static_cast<std::uint32_t>(p)}},
        key));
}

template <class S>
concept has_labels_of = requires(const S& s, std::int64_t i) {
    { s.labels_of(i) } -> std::convertible_to<const std::int32_t*>;
};

/// Largest-remainder apportionment: integers c_k with |c_k - quota_k| < 1 and Σ c_k = total,
/// for a total between Σ⌊quota_k⌋ and that plus the number of quotas (floors first, then one
/// more each to the largest fractional parts, ties to the lower k).
inline std::vector<std::int64_t> apportion(const std::vector<double>& quotas, std::int64_t total) {
    std::vector<std::int64_t> c(quotas.size());
    std::int64_t given = 0;
    for (std::size_t k = 0; k < quotas.size(); ++k) {
        c[k] = static_cast<std::int64_t>(std::floor(quotas[k]));
        given += c[k];
    }
    std::vector<std::size_t> order(quotas.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) {
        return quotas[i] - std::floor(quotas[i]) > quotas[j] - std::floor(quotas[j]);
    });
    for (std::size_t r = 0; given < total && r < order.size(); ++r, ++given) ++c[order[r]];
    return c;
}

}  // namespace detail

/// Shuffles `v` in place (Fisher–Yates) with the draws of Philox stream `stream` under `seed`.
/// ensures: the result is a function of (v, seed, stream) only.
template <class T>
void shuffle(std::span<T> v, std::uint64_t seed, std::uint64_t stream) {
    if (v.size() < 2) return;
    generator g(seed, stream);
    const philox_range r = g.take(v.size());
    for (std::size_t i = v.size() - 1; i > 0; --i) {
        const std::size_t j = static_cast<std::size_t>(detail::below(detail::low_word(r.block(i)), i + 1));
        std::swap(v[i], v[j]);
    }
}

/// `indices` in the order of epoch `epoch` under `seed`: a function of (indices, seed, epoch)
/// only, so a run resumed at some epoch visits the examples in the order the uninterrupted run did.
inline index_list shuffled(index_list indices, std::uint64_t seed, std::uint64_t epoch) {
    shuffle(std::span<std::int64_t>(indices), seed, detail::derived_stream(detail::purpose::epoch, epoch));
    return indices;
}

/// The permutation of 0, …, n-1 for epoch `epoch` under `seed` (see `shuffled`).
inline index_list epoch_permutation(std::int64_t n, std::uint64_t seed, std::uint64_t epoch) {
    LATENT_CHECK(n >= 0, config_error, "epoch_permutation: negative size ", n);
    index_list v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), std::int64_t{0});
    return shuffled(std::move(v), seed, epoch);
}

/// Batches in an epoch of n examples: ⌊n / batch⌋ with drop_last (the short last batch is
/// dropped), ⌈n / batch⌉ without.
inline std::int64_t batch_count(std::int64_t n, std::int64_t batch, bool drop_last) {
    LATENT_CHECK(batch >= 1, config_error, "batch_count: batch size ", batch, " must be at least 1");
    return drop_last ? n / batch : (n + batch - 1) / batch;
}

/// Every example's labels, example-major: `width` int32 per example (see dataset.hpp).
struct label_table {
    std::vector<std::int32_t> values;
    int width = 1;

    std::int64_t size() const { return static_cast<std::int64_t>(values.size()) / width; }
    std::span<const std::int32_t> row(std::int64_t i) const {
        return {values.data() + i * width, static_cast<std::size_t>(width)};
    }

    /// The labels of a source: from `labels_of(i)` where the source has it, otherwise by
    /// reading every example once (which decodes its features: slow for a streamed set).
    template <source S>
    static label_table of(const S& d) {
        const example_layout layout = d.layout();
        label_table t;
        t.width = layout.label_width;
        const std::int64_t n = d.size();
        t.values.resize(static_cast<std::size_t>(n * t.width));
        if constexpr (detail::has_labels_of<S>) {
            for (std::int64_t i = 0; i < n; ++i) std::copy_n(d.labels_of(i), t.width, t.values.data() + i * t.width);
        } else {
            std::vector<float> scratch(static_cast<std::size_t>(layout.features()));
            for (std::int64_t i = 0; i < n; ++i) d.read(i, scratch.data(), t.values.data() + i * t.width);
        }
        return t;
    }
};

/// What examples are grouped by when a split or a supervision mask preserves proportions.
/// For a single categorical label both are the class. For several binary labels:
///   tuple        the whole 0/1 label vector (the default): the joint distribution of the labels is
///                kept, e.g. glasses × facial hair; with many labels most tuples are rare and
///                their strata are rounded one by one, which still keeps every label's
///                marginal close but not within one example;
///   first_label  the first label's value only: exact for that label, the others left to chance.
enum class stratify { tuple, first_label };

namespace detail {
/// The strata of `indices`: index lists by key (ascending key, indices in the given order).
inline std::vector<index_list> strata(const label_table& labels, const index_list& indices, stratify by) {
    std::map<std::vector<std::int32_t>, index_list> groups;
    std::vector<std::int32_t> key;
    for (const std::int64_t i : indices) {
        LATENT_CHECK(i >= 0 && i < labels.size(), config_error, "data sampler: index ", i, " outside the ",
                     labels.size(), " labelled examples");
        const auto r = labels.row(i);
        key.assign(r.begin(), by == stratify::tuple ? r.end() : r.begin() + 1);
        groups[key].push_back(i);
    }
    std::vector<index_list> out;
    out.reserve(groups.size());
    for (auto& [k, v] : groups) out.push_back(std::move(v));
    return out;
}
}  // namespace detail

/// Train, validation and test index lists (each ascending).
struct split_indices {
    index_list train, validation, test;

    /// The dataset's own split: `which[i]` is 0 (train), 1 (validation) or 2 (test) for example i,
    /// as in CelebA's list_eval_partition.txt. A negative value leaves the example out.
    static split_indices from_partition(std::span<const std::int32_t> which) {
        split_indices s;
        for (std::size_t i = 0; i < which.size(); ++i) {
            const auto idx = static_cast<std::int64_t>(i);
            switch (which[i]) {
                case 0: s.train.push_back(idx); break;
                case 1: s.validation.push_back(idx); break;
                case 2: s.test.push_back(idx); break;
                default:
                    LATENT_CHECK(which[i] < 0, config_error, "split_indices::from_partition: example ", i,
                                 " is in partition ", which[i], "; expected 0, 1, 2 or negative");
            }
        }
        return s;
    }
};

/// Options of `stratified_split`: `split_options{}.fractions(0.7, 0.15, 0.15).seed(3)`.
class split_options {
public:
    /// The fractions of each stratum going to train, validation and test (default 0.8, 0.1, 0.1);
    /// each in [0, 1], summing to 1.
    split_options& fractions(double train, double validation, double test) {
        LATENT_CHECK(train >= 0 && validation >= 0 && test >= 0 && std::abs(train + validation + test - 1.0) < 1e-9,
                     config_error, "split_options::fractions: ", train, ", ", validation, ", ", test,
                     " must be non-negative and sum to 1");
        f_[0] = train;
        f_[1] = validation;
        f_[2] = test;
        return *this;
    }
    split_options& seed(std::uint64_t s) {
        seed_ = s;
        return *this;
    }
    split_options& by(stratify s) {
        by_ = s;
        return *this;
    }
    const double* fractions() const { return f_; }
    std::uint64_t seed() const { return seed_; }
    stratify by() const { return by_; }

private:
    double f_[3] = {0.8, 0.1, 0.1};
    std::uint64_t seed_ = 0;
    stratify by_ = stratify::tuple;
};

/// A stratified train/validation/test split of `indices` (by default all examples).
///
/// ensures: each stratum of m examples (see `stratify`) gives c_k examples to part k with
///          Σ c_k = m and |c_k - m·f_k| < 1 (largest remainders get the rounding); which
///          examples go where is a seeded shuffle of the stratum; the parts are disjoint, cover
///          `indices`, and are sorted ascending; the result is a function of the inputs only.
inline split_indices stratified_split(const label_table& labels, const index_list& indices,
                                      const split_options& opts = {}) {
    split_indices out;
    index_list* parts[3] = {&out.train, &out.validation, &out.test};
    std::vector<index_list> groups = detail::strata(labels, indices, opts.by());
    for (std::size_t s = 0; s < groups.size(); ++s) {
        index_list& g = groups[s];
        const auto m = static_cast<std::int64_t>(g.size());
        std::sort(g.begin(), g.end());
        shuffle(std::span<std::int64_t>(g), opts.seed(),
                detail::derived_stream(detail::purpose::split, s));
        const auto c = detail::apportion({m * opts.fractions()[0], m * opts.fractions()[1], m * opts.fractions()[2]}, m);
        std::int64_t at = 0;
        for (int k = 0; k < 3; ++k) {
            const std::int64_t take = std::min(c[static_cast<std::size_t>(k)], m - at);
            parts[k]->insert(parts[k]->end(), g.begin() + at, g.begin() + at + take);
            at += take;
        }
    }
    for (auto* p : parts) std::sort(p->begin(), p->end());
    return out;
}
/// A stratified split of all the examples of `labels`.
inline split_indices stratified_split(const label_table& labels, const split_options& opts = {}) {
    index_list all(static_cast<std::size_t>(labels.size()));
    std::iota(all.begin(), all.end(), std::int64_t{0});
    return stratified_split(labels, all, opts);
}

/// The indices of `indices` (in their order) whose label in column `column` is one of `classes`:
/// a class subset (`{3, 7}` of Fashion-MNIST), or with binary labels the examples having
/// (`{1}`) or lacking (`{0}`) label `column`.
inline index_list class_subset(const label_table& labels, const index_list& indices,
                               const std::set<std::int32_t>& classes, int column = 0) {
    LATENT_CHECK(column >= 0 && column < labels.width, config_error, "class_subset: label column ", column,
                 " of ", labels.width);
    index_list out;
    for (const std::int64_t i : indices) {
        LATENT_CHECK(i >= 0 && i < labels.size(), config_error, "class_subset: index ", i, " outside the ",
                     labels.size(), " labelled examples");
        if (classes.count(labels.row(i)[static_cast<std::size_t>(column)])) out.push_back(i);
    }
    return out;
}

/// Which labels a semi-supervised run may see.
struct label_mask {
    std::vector<std::uint8_t> visible;  // per dataset example: 1 label visible, 0 hidden
    index_list labelled;                // the training indices with visible labels, ascending
    index_list unlabelled;              // the training indices with hidden labels, ascending

    bool operator()(std::int64_t i) const { return visible[static_cast<std::size_t>(i)] != 0; }
};

/// Hides the labels of all but a stratified fraction `rate` of the training indices `train`.
///
/// Examples outside `train` keep their labels visible (validation and test labels are for
/// evaluation). rate = 1 hides nothing, rate = 0 hides every training label.
/// ensures: with 0 < rate < 1, round(rate·|train|) labels are kept before the floor below, each
///          stratum (see `stratify`) keeping within 1 of rate·(its size), chosen by a seeded
///          shuffle; then, for each label column and each value it takes in `train` (each class
///          of a categorical label; 0 and 1 of each binary label), at least one example with that
///          value stays labelled, added if needed; a function of the inputs only.
inline label_mask supervision_mask(const label_table& labels, const index_list& train, double rate,
                                   std::uint64_t seed, stratify by = stratify::tuple) {
    LATENT_CHECK(rate >= 0.0 && rate <= 1.0, config_error, "supervision_mask: rate ", rate, " outside [0, 1]");
    label_mask m;
    m.visible.assign(static_cast<std::size_t>(labels.size()), 1);
    std::vector<index_list> groups = detail::strata(labels, train, by);
    std::vector<double> quotas;
    for (const auto& g : groups) quotas.push_back(rate * static_cast<double>(g.size()));
    const auto total = static_cast<std::int64_t>(std::llround(rate * static_cast<double>(train.size())));
    const auto keep = detail::apportion(quotas, total);
    for (std::size_t s = 0; s < groups.size(); ++s) {
        index_list& g = groups[s];
        std::sort(g.begin(), g.end());
        shuffle(std::span<std::int64_t>(g), seed, detail::derived_stream(detail::purpose::supervision, s));
        for (std::size_t k = 0; k < g.size(); ++k) m.visible[static_cast<std::size_t>(g[k])] = k < static_cast<std::size_t>(keep[s]) ? 1 : 0;
    }
    if (rate > 0.0) {
        // The floor of one labelled example per (column, value): visit the training examples in a
        // seeded order and keep the first carrying each value that no kept example carries.
        index_list order(train);
        std::sort(order.begin(), order.end());
        shuffle(std::span<std::int64_t>(order), seed, detail::derived_stream(detail::purpose::supervision, 0, 1));
        for (int c = 0; c < labels.width; ++c) {
            std::set<std::int32_t> seen;
            for (const std::int64_t i : train)
                if (m(i)) seen.insert(labels.row(i)[static_cast<std::size_t>(c)]);
            for (const std::int64_t i : order) {
                const std::int32_t v = labels.row(i)[static_cast<std::size_t>(c)];
                if (seen.insert(v).second) m.visible[static_cast<std::size_t>(i)] = 1;
            }
        }
    }
    for (const std::int64_t i : train) (m(i) ? m.labelled : m.unlabelled).push_back(i);
    std::sort(m.labelled.begin(), m.labelled.end());
    std::sort(m.unlabelled.begin(), m.unlabelled.end());
    m.labelled.erase(std::unique(m.labelled.begin(), m.labelled.end()), m.labelled.end());
    m.unlabelled.erase(std::unique(m.unlabelled.begin(), m.unlabelled.end()), m.unlabelled.end());
    return m;
}

/// An anchor x1, a partner x1′ with the same labels, and x2 (indices).
struct triplet {
    std::int64_t anchor, same, other;
};

/// Pairs and triplets for the swap model: for an anchor x1, x1′ drawn uniformly among the pool's
/// examples with the same labels (the whole label vector) and x2 among those with different labels
/// (`different = true`, the default) or among all (`different = false`).
///
/// requires: every anchor's labels occur in the pool; with `different`, the pool holds at least
///           two distinct label vectors (config_error otherwise).
/// ensures:  x1′ ≠ x1 whenever another pool example has x1's labels (x1′ = x1 otherwise); with
///           `different`, x2's labels differ from x1's, and otherwise x2 ≠ x1 when the pool has
///           another example; the draw is a function of (seed, anchor, round) only, `round` being
///           for example the epoch, so resumed runs draw the same partners.
class pair_sampler {
public:
    pair_sampler(const label_table& labels, const index_list& pool, std::uint64_t seed, bool different = true)
        : labels_(labels), seed_(seed), different_(different) {
        LATENT_CHECK(!pool.empty(), config_error, "pair_sampler: empty pool");
        std::map<std::vector<std::int32_t>, index_list> groups;
        for (const std::int64_t i : pool) {
            LATENT_CHECK(i >= 0 && i < labels.size(), config_error, "pair_sampler: pool index ", i, " outside the ",
                         labels.size(), " labelled examples");
            const auto r = labels.row(i);
            groups[std::vector<std::int32_t>(r.begin(), r.end())].push_back(i);
        }
        LATENT_CHECK(!different || groups.size() >= 2, config_error,
                     "pair_sampler: every pool example has the same labels, so no x2 with different labels exists; "
                     "use different = false");
        for (auto& [key, g] : groups) {
            std::sort(g.begin(), g.end());
            g.erase(std::unique(g.begin(), g.end()), g.end());
            keys_.push_back(key);
            offsets_.push_back(static_cast<std::int64_t>(order_.size()));
            order_.insert(order_.end(), g.begin(), g.end());
        }
        offsets_.push_back(static_cast<std::int64_t>(order_.size()));
    }

    /// The triplet of `anchor` in round `round`.
    triplet draw(std::int64_t anchor, std::uint64_t round = 0) const {
        const std::int64_t g = group_of(anchor);
        const std::int64_t begin = offsets_[static_cast<std::size_t>(g)], end = offsets_[static_cast<std::size_t>(g) + 1];
        const std::int64_t m = end - begin, pool = static_cast<std::int64_t>(order_.size());
        // the anchor's position in the pool order, or -1 when it is not in the pool
        const auto it = std::lower_bound(order_.begin() + begin, order_.begin() + end, anchor);
        const std::int64_t at = (it != order_.begin() + end && *it == anchor) ? it - order_.begin() : -1;

        generator gen(seed_, detail::derived_stream(detail::purpose::pairs, round), static_cast<std::uint64_t>(anchor));
        const uint32x4 b = gen.take(1).block(0);
        triplet t{anchor, anchor, anchor};
        // x1′: uniform over the group without the anchor
        if (at < 0) {
            t.same = order_[static_cast<std::size_t>(begin + pick(detail::low_word(b), m))];
        } else if (m > 1) {
            std::int64_t r = begin + pick(detail::low_word(b), m - 1);
            if (r >= at) ++r;
            t.same = order_[static_cast<std::size_t>(r)];
        }
        // x2: uniform over the pool without the group (different) or without the anchor
        if (different_) {
            std::int64_t r = pick(detail::high_word(b), pool - m);
            if (r >= begin) r += m;
            t.other = order_[static_cast<std::size_t>(r)];
        } else if (at < 0) {
            t.other = order_[static_cast<std::size_t>(pick(detail::high_word(b), pool))];
        } else if (pool > 1) {
            std::int64_t r = pick(detail::high_word(b), pool - 1);
            if (r >= at) ++r;
            t.other = order_[static_cast<std::size_t>(r)];
        }
        return t;
    }

    /// The partners of a batch of anchors: `same[k]`, `other[k]` for `anchors[k]`.
    struct partners {
        index_list same, other;
    };
    partners draw(std::span<const std::int64_t> anchors, std::uint64_t round = 0) const {
        partners p;
        p.same.reserve(anchors.size());
        p.other.reserve(anchors.size());
        for (const std::int64_t a : anchors) {
            const triplet t = draw(a, round);
            p.same.push_back(t.same);
            p.other.push_back(t.other);
        }
        return p;
    }

private:
    static std::int64_t pick(std::uint64_t word, std::int64_t n) {
        return static_cast<std::int64_t>(detail::below(word, static_cast<std::uint64_t>(n)));
    }
    std::int64_t group_of(std::int64_t anchor) const {
        LATENT_CHECK(anchor >= 0 && anchor < labels_.size(), config_error, "pair_sampler: anchor ", anchor,
                     " outside the ", labels_.size(), " labelled examples");
        const auto r = labels_.row(anchor);
        const auto it = std::lower_bound(keys_.begin(), keys_.end(), r, [](const std::vector<std::int32_t>& k, auto row) {
            return std::lexicographical_compare(k.begin(), k.end(), row.begin(), row.end());
        });
        LATENT_CHECK(it != keys_.end() && std::equal(it->begin(), it->end(), r.begin(), r.end()), config_error,
                     "pair_sampler: no pool example has the labels of anchor ", anchor);
        return it - keys_.begin();
    }

    label_table labels_;  // a copy: the sampler may outlive the caller's table
    std::uint64_t seed_;
    bool different_;
    std::vector<std::vector<std::int32_t>> keys_;  // the distinct label vectors, ascending
    std::vector<std::int64_t> offsets_;            // group k is order_[offsets_[k], offsets_[k + 1])
    index_list order_;                             // pool indices, grouped by key, ascending in a group
};

}  // namespace latent::data
