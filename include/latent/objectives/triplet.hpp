// latent/objectives/triplet.hpp: the oracle-constraint triplet term of Karaletsos et al. (MODELS.md §9).
//
// Each label column q of the batch is a query: it holds a factor's value index (not a 0/1
// label), and it says "i is more like j than k" whenever y[i, q] = y[j, q] ≠ y[k, q]. For every
// query q and every anchor i of the batch a j ≠ i of i's value and a k of another value are
// drawn uniformly in the batch with the model's generator (so the draws are part of a
// checkpoint's state); an anchor without such a j or k is left out. With the query's mask m_q
// over the segment's dims and the segment's samples z,
//     d_q(a, b) = Σ_h m_q,h (z_a,h − z_b,h)²,
//     p(t | z_i, z_j, z_k) = exp(−d_q(i, j)) / (exp(−d_q(i, j)) + exp(−d_q(i, k))),
// and −log p = softplus(d_q(i, j) − d_q(i, k)), which is what is computed (it never overflows).
// Main loss, weight "triplet" (1):
//     mean over every valid (query, anchor) of softplus(d_q(i, j) − d_q(i, k)),
// 0 (still logged) when no anchor of the batch has a triplet. The masks are a policy:
//   fixed_masks    disjoint 0/1 blocks: query q owns dims [q·m, (q + 1)·m), m = the setting
//                  "triplet.mask_dims" (default ⌊D / Q⌋); the dims past Q·m are free (no query
//                  reads them);
//   learned_masks  m_q = sigmoid(logits_q), the logits a [Q, D] parameter "triplet.mask_logits"
//                  of the model's group, drawn N(0, 1) so that no two queries start alike, with
//                  the main-loss piece "triplet.mask_l1" = w·(1/Q)·Σ_q Σ_h m_q,h (w = 0.01 by
//                  default) that keeps each mask to the dims its query needs.
// Q is the data's label width (a single categorical label is one query). The term's names are
// not per segment: a model has at most one triplet term.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/data/samplers.hpp"
#include "latent/nn/module.hpp"
#include "latent/objectives/term.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

/// −log p(t | a, j, k) = softplus(d(a, j) − d(a, k)) per row [n, 1], d(a, b) = Σ_h m_h (a_h − b_h)²,
/// for anchors, same and other [n, D] and masks [n, D] (one per row) or [1, D] (one for all).
template <scalar T, backend B>
var<T, B> triplet_nll(const var<T, B>& anchor, const var<T, B>& same, const var<T, B>& other, const var<T, B>& mask) {
    LATENT_CHECK(anchor.shape().rank() == 2 && same.shape() == anchor.shape() && other.shape() == anchor.shape(),
                 shape_error, "triplet_nll: anchor ", anchor.shape(), ", same ", same.shape(), " and other ",
                 other.shape(), " must be one [n, D]");
    LATENT_CHECK(mask.shape().rank() == 2 && mask.cols() == anchor.cols() &&
                     (mask.rows() == 1 || mask.rows() == anchor.rows()),
                 shape_error, "triplet_nll: mask ", mask.shape(), " should be [1, ", anchor.cols(), "] or [",
                 anchor.rows(), ", ", anchor.cols(), "]");
    const var<T, B> d_same = sum_rows(square(anchor - same) * mask);
    const var<T, B> d_other = sum_rows(square(anchor - other) * mask);
    return softplus(d_same - d_other);
}

/// One batch's triplets, query-major: entry q·n + i is anchor i under query q, with `same` and
/// `other` its j and k, or −1 for both where i has no j or no k.
struct batch_triplets {
    std::int64_t n = 0, queries = 0;
    std::vector<std::int64_t> same, other;

    bool valid(std::int64_t q, std::int64_t i) const { return same[static_cast<std::size_t>(q * n + i)] >= 0; }
    std::int64_t count() const {
        return static_cast<std::int64_t>(std::count_if(same.begin(), same.end(), [](std::int64_t j) { return j >= 0; }));
    }
};

/// Draws, for labels [n, queries] (row-major, each a factor's value index), every anchor's j and k
/// under every query: uniform among the valid ones, with one Philox block of `gen` per (query,
/// anchor), so a run resumed from the generator's saved offset draws the same triplets.
inline batch_triplets draw_batch_triplets(std::span<const std::int32_t> labels, std::int64_t n, std::int64_t queries,
                                          generator& gen) {
    LATENT_CHECK(n >= 0 && queries >= 1 && static_cast<std::int64_t>(labels.size()) == n * queries, shape_error,
                 "draw_batch_triplets: ", labels.size(), " labels are not ", n, " rows of ", queries, " queries");
    batch_triplets t{n, queries, std::vector<std::int64_t>(static_cast<std::size_t>(n * queries), -1),
                     std::vector<std::int64_t>(static_cast<std::size_t>(n * queries), -1)};
    const philox_range r = gen.take(static_cast<std::uint64_t>(n * queries));
    const auto at = [&](std::int64_t i, std::int64_t q) { return labels[static_cast<std::size_t>(i * queries + q)]; };
    std::vector<std::int64_t> same, other;
    for (std::int64_t q = 0; q < queries; ++q)
        for (std::int64_t i = 0; i < n; ++i) {
            same.clear();
            other.clear();
            for (std::int64_t j = 0; j < n; ++j) {
                if (at(j, q) != at(i, q)) other.push_back(j);
                else if (j != i) same.push_back(j);
            }
            if (same.empty() || other.empty()) continue;
            const uint32x4 b = r.block(static_cast<std::uint64_t>(q * n + i));
            const auto k = static_cast<std::size_t>(q * n + i);
            t.same[k] = same[data::detail::below(data::detail::low_word(b), same.size())];
            t.other[k] = other[data::detail::below(data::detail::high_word(b), other.size())];
        }
    return t;
}

/// What a mask policy is built from: the term's arguments, Q queries over a segment of D dims.
template <scalar T, backend B>
struct mask_args {
    const term_args<T, B>& term;
    std::int64_t queries;
    std::int64_t dim;
};

/// What triplet_constraint needs of a mask policy.
template <class M>
concept mask_policy =
    requires { typename M::template impl<float, cpu>; } &&
    std::constructible_from<typename M::template impl<float, cpu>, const mask_args<float, cpu>&> &&
    requires(typename M::template impl<float, cpu>& m, step_losses<float, cpu>& out,
             const std::function<void(nn::module<float, cpu>&)>& fn) {
        { m.values() } -> std::convertible_to<var<float, cpu>>;
        { m.masks() } -> std::convertible_to<std::vector<std::vector<double>>>;
        m.add_penalty(out);
        m.for_each_module(fn);
    };

namespace detail {
template <scalar T, backend B>
std::vector<std::vector<double>> host_rows(const tensor<T, B>& m) {
    const std::vector<T> v = m.to_vector();
    std::vector<std::vector<double>> out(static_cast<std::size_t>(m.rows()));
    for (std::size_t q = 0; q < out.size(); ++q)
        out[q].assign(v.begin() + static_cast<std::ptrdiff_t>(q * m.cols()),
                      v.begin() + static_cast<std::ptrdiff_t>((q + 1) * m.cols()));
    return out;
}
}  // namespace detail

/// Disjoint 0/1 masks: query q owns dims [q·m, (q + 1)·m), m = "triplet.mask_dims" (⌊D / Q⌋).
struct fixed_masks {
    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const mask_args<T, B>& a)
            : dims_(static_cast<std::int64_t>(
                  a.term.options.take("triplet.mask_dims", static_cast<double>(a.dim / std::max<std::int64_t>(a.queries, 1))))) {
            LATENT_CHECK(dims_ >= 1, config_error, "triplet_constraint: triplet.mask_dims is ", dims_,
                         "; each of the ", a.queries, " queries needs at least one of the segment's ", a.dim, " dims");
            LATENT_CHECK(a.queries * dims_ <= a.dim, config_error, "triplet_constraint: ", a.queries, " queries × ",
                         dims_, " mask dims = ", a.queries * dims_, " exceed the segment's ", a.dim,
                         " dims (set triplet.mask_dims lower or the segment larger)");
            std::vector<T> m(static_cast<std::size_t>(a.queries * a.dim), T(0));
            for (std::int64_t q = 0; q < a.queries; ++q)
                for (std::int64_t h = q * dims_; h < (q + 1) * dims_; ++h) m[static_cast<std::size_t>(q * a.dim + h)] = T(1);
            masks_ = tensor<T, B>::from_host({a.queries, a.dim}, m);
        }
        /// The masks [Q, D], a constant.
        var<T, B> values() const { return var<T, B>(masks_); }
        /// The masks on the host, [Q][D].
        std::vector<std::vector<double>> masks() const { return detail::host_rows(masks_); }
        /// m: the dims each query owns.
        std::int64_t dims_per_query() const { return dims_; }
        void add_penalty(step_losses<T, B>&) {}
        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}

    private:
        std::int64_t dims_;
        tensor<T, B> masks_;
    };
};

/// Soft masks sigmoid(logits) [Q, D] learned with the model, with an L1 penalty "triplet.mask_l1".
struct learned_masks {
    /// The logits as a module, so that the model finds, names, groups and checkpoints them;
    /// forward ignores its input and gives the masks.
    template <scalar T, backend B>
    class logits : public nn::module<T, B> {
    public:
        logits(std::int64_t queries, std::int64_t dim, generator& gen)
            : queries_(queries), dim_(dim), logits_("triplet.mask_logits", tensor<T, B>(shape{queries, dim}), model_group) {
            normal_(logits_.value(), gen);
        }
        var<T, B> forward(const var<T, B>&) override { return masks(); }
        /// sigmoid(logits) [Q, D], on the graph.
        var<T, B> masks() const { return sigmoid(logits_.as_var()); }
        void for_each_parameter(const std::function<void(parameter<T, B>&)>& f) override { f(logits_); }
        std::string describe() const override {
            return "MaskLogits(" + std::to_string(queries_) + ", " + std::to_string(dim_) + ")";
        }
        parameter<T, B>& weights() { return logits_; }

    private:
        std::int64_t queries_, dim_;
        parameter<T, B> logits_;
    };

    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const mask_args<T, B>& a)
            : l1_(a.term.options.weight_of("triplet.mask_l1", 0.01)),
              logits_(std::make_unique<logits<T, B>>(a.queries, a.dim, a.term.gen)) {
            LATENT_CHECK(l1_ >= 0, config_error, "triplet_constraint: the weight of triplet.mask_l1 is ", l1_,
                         "; it must be >= 0");
        }
        /// sigmoid(logits) [Q, D], on the graph.
        var<T, B> values() const { return logits_->masks(); }
        std::vector<std::vector<double>> masks() const {
            no_grad guard;
            return detail::host_rows(values().value());
        }
        /// The logits parameter [Q, D] ("triplet.mask_logits").
        parameter<T, B>& logits_parameter() { return logits_->weights(); }
        void add_penalty(step_losses<T, B>& out) {
            const var<T, B> m = values();
            out.add_main("triplet.mask_l1", sum(m) * (l1_ / static_cast<double>(m.rows())));
        }
        void for_each_module(const std::function<void(nn::module<T, B>&)>& f) { f(*logits_); }

    private:
        double l1_;
        std::unique_ptr<logits<T, B>> logits_;  // a module: the model holds terms by value and moves them
    };
};

template <fixed_string Segment, class Masks = fixed_masks>
struct triplet_constraint {
    static_assert(mask_policy<Masks>,
                  "triplet_constraint<Segment, Masks>: Masks must be a mask policy (fixed_masks, learned_masks, or a "
                  "type with impl<T, B> constructible from mask_args<T, B> giving values(), masks(), "
                  "add_penalty(step_losses&) and for_each_module(f))");
    static constexpr fixed_string segment = Segment;
    using masks_policy = Masks;

    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const term_args<T, B>& a)
            : queries_(a.categorical ? 1 : a.label_outputs),
              dim_(a.layout[Segment.view()].dim),
              weight_(a.options.weight_of("triplet", 1.0)),
              masks_(mask_args<T, B>{a, queries_, dim_}) {}

        void add(const forward_pass<T, B>& f, step_losses<T, B>& out) {
            LATENT_CHECK(f.gen != nullptr, config_error,
                         "triplet: the forward pass carries no generator (only training passes do)");
            LATENT_CHECK(f.y.raw.cols() == queries_, shape_error, "triplet: labels ", f.y.raw.shape(), " should have ",
                         queries_, " columns, one per query");
            const std::int64_t n = f.batch, rows = queries_ * n;
            const std::vector<std::int32_t> raw = f.y.raw.to_vector();
            last_ = draw_batch_triplets(raw, n, queries_, *f.gen);

            // Row q·n + i of each selection picks anchor i, its j and its k; a left-out anchor
            // picks itself three times and weighs 0.
            std::vector<T> anchor(static_cast<std::size_t>(rows * n), T(0)), same(anchor.size(), T(0)),
                other(anchor.size(), T(0)), query(static_cast<std::size_t>(rows * queries_), T(0)),
                valid(static_cast<std::size_t>(rows), T(0));
            for (std::int64_t q = 0; q < queries_; ++q)
                for (std::int64_t i = 0; i < n; ++i) {
                    const std::int64_t r = q * n + i;
                    const bool ok = last_.valid(q, i);
                    const std::int64_t j = ok ? last_.same[static_cast<std::size_t>(r)] : i;
                    const std::int64_t k = ok ? last_.other[static_cast<std::size_t>(r)] : i;
                    anchor[static_cast<std::size_t>(r * n + i)] = T(1);
                    same[static_cast<std::size_t>(r * n + j)] = T(1);
                    other[static_cast<std::size_t>(r * n + k)] = T(1);
                    query[static_cast<std::size_t>(r * queries_ + q)] = T(1);
                    valid[static_cast<std::size_t>(r)] = ok ? T(1) : T(0);
                }
            const auto constant = [](std::int64_t a, std::int64_t b, const std::vector<T>& v) {
                return var<T, B>(tensor<T, B>::from_host({a, b}, v));
            };
            const var<T, B>& z = f.sample(Segment.view());
            const var<T, B> nll = triplet_nll(matmul(constant(rows, n, anchor), z), matmul(constant(rows, n, same), z),
                                              matmul(constant(rows, n, other), z),
                                              matmul(constant(rows, queries_, query), masks_.values()));
            const double count = static_cast<double>(std::max<std::int64_t>(last_.count(), 1));
            out.add_main("triplet", sum(nll * constant(rows, 1, valid)) * (weight_ / count));
            masks_.add_penalty(out);
        }

        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) { masks_.for_each_module(fn); }

        /// Q: one query per label column.
        std::int64_t queries() const { return queries_; }
        /// The masks on the host, [Q][D] (D the segment's dims).
        std::vector<std::vector<double>> masks() const { return masks_.masks(); }
        /// The mask policy's object (fixed_masks: dims_per_query(); learned_masks: logits_parameter()).
        auto& mask_impl() { return masks_; }
        /// The triplets of the last training batch.
        const batch_triplets& last_triplets() const { return last_; }

    private:
        std::int64_t queries_, dim_;
        double weight_;
        typename Masks::template impl<T, B> masks_;
        batch_triplets last_;
    };
};

}  // namespace latent
