// latent/data/triplets.hpp: triplets of examples from labelled factors, one query at a time.
//
// A query is a label column holding a factor's value index (the shapes set with several
// categorical labels, data/shapes.hpp). It says "i is more like j than k" whenever i and j share
// the column's value and k has another: the oracle's triplets of Karaletsos et al. (MODELS.md
// §9). `triplet_sampler` draws them over a pool of examples, for evaluation (eval/
// triplet_accuracy.hpp) or for a loader that feeds whole triplets; the triplet term of a model
// draws its own inside each batch (objectives/triplet.hpp).
//
// Like every sampler here the draw is a pure function of (seed, round, what is drawn): a Philox
// stream of purpose `pairs` whose third word, 2·column + 1 (by anchor) or 2·column + 2 (a batch
// of anchors), keeps it apart from pair_sampler's (word 0) and from every other column's.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <span>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/samplers.hpp"

namespace latent::data {

/// Triplets (anchor i, same j, other k) for label column `column`: j ≠ i with i's value there,
/// k with another value, each uniform among those in the pool.
///
/// requires: 0 ≤ column < labels.width; pool indices in [0, labels.size()) (default: every
///           example); some pool value occurs twice and the pool holds two values (config_error).
/// ensures:  every triplet has labels[j][column] = labels[i][column] ≠ labels[k][column], j ≠ i;
///           draw(anchor, round) is a function of (seed, column, anchor, round) only, and
///           draw_many(count, round) of (seed, column, count, round).
class triplet_sampler {
public:
    triplet_sampler(const label_table& labels, int column, std::uint64_t seed, index_list pool = {})
        : labels_(labels), column_(column), seed_(seed) {
        LATENT_CHECK(column >= 0 && column < labels.width, config_error, "triplet_sampler: label column ", column,
                     " outside the ", labels.width, " columns");
        if (pool.empty()) {
            pool.resize(static_cast<std::size_t>(labels.size()));
            std::iota(pool.begin(), pool.end(), std::int64_t{0});
        }
        LATENT_CHECK(!pool.empty(), config_error, "triplet_sampler: no examples to draw from");
        std::map<std::int32_t, index_list> groups;
        for (const std::int64_t i : pool) {
            LATENT_CHECK(i >= 0 && i < labels.size(), config_error, "triplet_sampler: pool index ", i,
                         " outside the ", labels.size(), " labelled examples");
            groups[value_of(i)].push_back(i);
        }
        LATENT_CHECK(groups.size() >= 2, config_error, "triplet_sampler: every pool example has value ",
                     groups.begin()->first, " in label column ", column, ", so no triplet has a k of another value");
        for (auto& [value, g] : groups) {
            std::sort(g.begin(), g.end());
            g.erase(std::unique(g.begin(), g.end()), g.end());
            values_.push_back(value);
            offsets_.push_back(static_cast<std::int64_t>(order_.size()));
            order_.insert(order_.end(), g.begin(), g.end());
            if (g.size() >= 2) anchors_.insert(anchors_.end(), g.begin(), g.end());
        }
        offsets_.push_back(static_cast<std::int64_t>(order_.size()));
        std::sort(anchors_.begin(), anchors_.end());
        LATENT_CHECK(!anchors_.empty(), config_error, "triplet_sampler: no value of label column ", column,
                     " occurs twice in the pool, so no anchor has a j of its value");
    }

    int column() const { return column_; }
    /// The pool examples that have a triplet (their value occurs again in the pool), ascending.
    const index_list& anchors() const { return anchors_; }
    /// Whether `anchor` (any labelled example) has a j ≠ anchor of its value in the pool.
    bool has_triplet(std::int64_t anchor) const {
        const auto [begin, end] = group_of(anchor);
        return end - begin - (position(anchor, begin, end) >= 0 ? 1 : 0) >= 1;
    }

    /// The triplet of `anchor` in round `round` (config_error when it has none: see has_triplet).
    triplet draw(std::int64_t anchor, std::uint64_t round = 0) const {
        generator gen(seed_, stream(round, 1), static_cast<std::uint64_t>(anchor));
        const uint32x4 b = gen.take(1).block(0);
        return complete(anchor, detail::low_word(b), detail::high_word(b));
    }

    /// `count` triplets in round `round`, their anchors uniform (with replacement) over anchors().
    std::vector<triplet> draw_many(std::int64_t count, std::uint64_t round = 0) const {
        LATENT_CHECK(count >= 0, config_error, "triplet_sampler: negative count ", count);
        generator gen(seed_, stream(round, 2));
        const philox_range r = gen.take(static_cast<std::uint64_t>(2 * count));
        std::vector<triplet> out;
        out.reserve(static_cast<std::size_t>(count));
        for (std::int64_t t = 0; t < count; ++t) {
            const uint32x4 a = r.block(static_cast<std::uint64_t>(2 * t)), b = r.block(static_cast<std::uint64_t>(2 * t + 1));
            const std::int64_t anchor = anchors_[static_cast<std::size_t>(pick(detail::low_word(a), std::ssize(anchors_)))];
            out.push_back(complete(anchor, detail::high_word(a), detail::low_word(b)));
        }
        return out;
    }

private:
    std::uint64_t stream(std::uint64_t round, std::uint32_t kind) const {
        return detail::derived_stream(detail::purpose::pairs, round, 2 * static_cast<std::uint32_t>(column_) + kind);
    }
    static std::int64_t pick(std::uint64_t word, std::int64_t n) {
        return static_cast<std::int64_t>(detail::below(word, static_cast<std::uint64_t>(n)));
    }
    std::int32_t value_of(std::int64_t i) const { return labels_.row(i)[static_cast<std::size_t>(column_)]; }
    /// [begin, end) of the anchor's value group in order_ (empty when no pool example has its value).
    std::pair<std::int64_t, std::int64_t> group_of(std::int64_t anchor) const {
        LATENT_CHECK(anchor >= 0 && anchor < labels_.size(), config_error, "triplet_sampler: anchor ", anchor,
                     " outside the ", labels_.size(), " labelled examples");
        const auto it = std::lower_bound(values_.begin(), values_.end(), value_of(anchor));
        if (it == values_.end() || *it != value_of(anchor)) return {0, 0};
        const auto g = static_cast<std::size_t>(it - values_.begin());
        return {offsets_[g], offsets_[g + 1]};
    }
    /// The anchor's place in order_ within [begin, end), or −1 when it is not in the pool.
    std::int64_t position(std::int64_t anchor, std::int64_t begin, std::int64_t end) const {
        const auto it = std::lower_bound(order_.begin() + begin, order_.begin() + end, anchor);
        return it != order_.begin() + end && *it == anchor ? it - order_.begin() : -1;
    }
    /// j uniform over the anchor's group without the anchor, k uniform over the other groups.
    triplet complete(std::int64_t anchor, std::uint64_t word_j, std::uint64_t word_k) const {
        const auto [begin, end] = group_of(anchor);
        const std::int64_t at = position(anchor, begin, end);
        const std::int64_t m = end - begin - (at >= 0 ? 1 : 0);
        LATENT_CHECK(m >= 1, config_error, "triplet_sampler: anchor ", anchor, " has value ", value_of(anchor),
                     " in label column ", column_, ", which no other pool example has, so it has no j");
        std::int64_t j = begin + pick(word_j, m);
        if (at >= 0 && j >= at) ++j;
        const std::int64_t others = std::ssize(order_) - (end - begin);
        std::int64_t k = pick(word_k, others);
        if (k >= begin) k += end - begin;
        return {anchor, order_[static_cast<std::size_t>(j)], order_[static_cast<std::size_t>(k)]};
    }

    label_table labels_;  // a copy: the sampler may outlive the caller's table
    int column_;
    std::uint64_t seed_;
    std::vector<std::int32_t> values_;  // the column's distinct pool values, ascending
    std::vector<std::int64_t> offsets_; // value g's examples are order_[offsets_[g], offsets_[g + 1])
    index_list order_;                  // pool indices grouped by value, ascending in a group
    index_list anchors_;
};

}  // namespace latent::data
