// latent/objectives/m2.hpp: Kingma et al.'s M2 (MODELS.md §6), y as a latent of its own.
//
// q(z | x, y), q(y | x) (a classifier network from x), p(x | y, z), p(z) = N(0, I), p(y) uniform.
// Per labelled example:   L(x, y) = recon(x | y, z) + KL(q(z|x,y) ‖ p(z)) − log p(y)
// Per unlabelled example: U(x) = Σ_y q(y|x)·L(x, y) − H(q(y|x)), every y enumerated (one
//                         encoder and decoder pass per value of y)
// Main loss: the batch mean of L on labelled rows and U on the rest ("m2.labelled",
// "m2.unlabelled"), plus α·mean over the batch's labelled rows of −log q(y|x) ("m2.classifier").
// α ("m2.alpha", default 0.1) is Kingma's α = 0.1·N written for per-example means: J/N =
// mean(L, U) + 0.1·mean_labelled(−log q(y|x)).
// The label is either one categorical label (q(y|x) = Cat(softmax(K logits)), p(y) = 1/K) or L
// binary labels (q(y|x) = Π_i Bern(y_i | sigmoid(logit_i)), p(y) = 2^−L, H(q) the sum of the L
// Bernoulli entropies). With binary labels U enumerates all 2^L label vectors, vector k having
// y_i = bit i of k, in the order k = 0, 1, …; hence at most m2_max_binary_labels labels.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/objectives/objective.hpp"

namespace latent {

/// The most binary labels M2 takes: its unlabelled bound runs the encoder and decoder once per
/// label vector, 2^L times per batch, and 2^6 = 64 passes is already far beyond the cost of the
/// model's own pass.
inline constexpr std::int64_t m2_max_binary_labels = 6;

struct m2_objective {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = true;
    static constexpr label_route route = label_route::decoder_input;

    template <scalar T, backend B>
    class impl {
    public:
        using var_type = var<T, B>;
        using tensor_type = tensor<T, B>;

        explicit impl(const term_args<T, B>& a)
            : categorical_(a.categorical),
              classes_(a.label_outputs),
              alpha_(a.options.take("m2.alpha", 0.1)),
              log_p_y_(a.categorical ? -std::log(static_cast<double>(a.label_outputs))
                                     : -static_cast<double>(a.label_outputs) * std::log(2.0)) {
            LATENT_CHECK(a.label_outputs >= 1, config_error, "m2_objective: needs labels (y is a latent that the ",
                         "labelled examples show); this data has ", a.label_outputs, " label columns");
            LATENT_CHECK(a.categorical || a.label_outputs <= m2_max_binary_labels, config_error, "m2_objective: ",
                         a.label_outputs, " binary labels would need 2^", a.label_outputs,
                         " encoder and decoder passes per batch (the unlabelled bound enumerates every label "
                         "vector); at most ", m2_max_binary_labels, " binary labels (",
                         std::int64_t{1} << m2_max_binary_labels, " passes) are supported");
            LATENT_CHECK(alpha_ >= 0, config_error, "m2.alpha is ", alpha_, "; it must be non-negative");
            net_ = make_network(a.nets, {net_role::classifier, "classifier", a.example_shape, {a.label_outputs}}, a.gen,
                                model_group, "m2_objective");
        }

        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            const forward_pass<T, B>& f = v.f;
            // The classifier on x: log q(y | x) [n, K] (categorical) or the logits [n, L] (binary).
            const var_type h = categorical_ ? log_softmax_rows((*net_)(f.x)) : (*net_)(f.x);
            const var_type labelled = labelled_rows(f, [&] { return labelled_bound(v); });
            const var_type classifier = labelled_rows_weighted(f, alpha_, [&] { return neg_log_q_y(h, f.y.as_float); });
            const var_type unlabelled = unlabelled_rows(f, [&] { return unlabelled_bound(v, h); });
            out.add_main("m2.labelled", mean(labelled));
            out.add_main("m2.unlabelled", mean(unlabelled));
            out.add_main("m2.classifier", mean(classifier));
        }

        /// q(y | x) for inputs x: categorical, the softmax rows [n, K]; binary, each label's
        /// P(y_i = 1 | x) = sigmoid(logit_i), [n, L]. No graph needed by the caller: wrap in no_grad.
        var_type class_probabilities(const var_type& x) {
            return categorical_ ? softmax_rows((*net_)(x)) : sigmoid((*net_)(x));
        }

        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) { fn(*net_); }

    private:
        /// −log q(y | x) per example [n, 1] for label values y, from the classifier's output h.
        var_type neg_log_q_y(const var_type& h, const var_type& y) const {
            if (categorical_) return -sum_rows(h * y);
            return sum_rows(binary_cross_entropy_with_logits(h, y));
        }

        /// U(x) per example [n, 1], from the classifier's output h: Σ_y q(y|x)·L(x, y) − H(q(y|x)).
        var_type unlabelled_bound(const elbo_view<T, B>& v, const var_type& h) const {
            const std::int64_t n = v.f.batch;
            if (categorical_) {
                const var_type& log_q = h;
                const var_type q = exp(log_q);
                std::vector<var_type> per_class;  // L(x, c) for every class c
                for (std::int64_t c = 0; c < classes_; ++c)
                    per_class.push_back(v.neg_elbo_given(class_labels(n, c)) - log_p_y_);
                const var_type each = concat_features(std::span<const var_type>(per_class));
                return sum_rows(q * each) + sum_rows(q * log_q);  // Σ q·L − H(q)
            }
            // log q(y_i = 1 | x) and log q(y_i = 0 | x); a vector's log q is their sum over i.
            const var_type log_on = log_sigmoid(h), log_off = log_sigmoid(-h);
            std::vector<var_type> log_q, per_vector;  // per label vector k: log q(k | x), L(x, k)
            for (std::int64_t k = 0; k < (std::int64_t{1} << classes_); ++k) {
                const var_type bits(vector_row(k));  // [1, L], broadcast over the rows
                log_q.push_back(sum_rows(bits * log_on + (1.0 - bits) * log_off));
                per_vector.push_back(v.neg_elbo_given(vector_labels(n, k)) - log_p_y_);
            }
            const var_type q = exp(concat_features(std::span<const var_type>(log_q)));
            const var_type each = concat_features(std::span<const var_type>(per_vector));
            // H(q) factorises over the labels: Σ_i of each Bernoulli's entropy.
            const var_type neg_entropy = sum_rows(exp(log_on) * log_on + exp(log_off) * log_off);
            return sum_rows(q * each) + neg_entropy;
        }

        /// L(x, y) per example [n, 1] with the batch's own pass and labels.
        var_type labelled_bound(const elbo_view<T, B>& v) const {
            var_type elbo = v.recon - log_p_y_;
            for (std::size_t i = 0; i < v.f.layout->segments.size(); ++i)
                if (v.has_kl(i)) elbo = elbo + v.kl(i, v.f.y.as_float);
            return elbo;
        }

        /// Labels [n, 1], every row class c.
        static tensor<std::int32_t, B> class_labels(std::int64_t n, std::int64_t c) {
            return tensor<std::int32_t, B>::full({n, 1}, static_cast<std::int32_t>(c));
        }
        /// Labels [n, L], every row label vector k (y_i = bit i of k).
        tensor<std::int32_t, B> vector_labels(std::int64_t n, std::int64_t k) const {
            std::vector<std::int32_t> r(static_cast<std::size_t>(n * classes_));
            for (std::size_t j = 0; j < r.size(); ++j)
                r[j] = static_cast<std::int32_t>((k >> (static_cast<std::int64_t>(j) % classes_)) & 1);
            return tensor<std::int32_t, B>::from_host({n, classes_}, r);
        }
        /// Label vector k as values [1, L].
        tensor_type vector_row(std::int64_t k) const {
            std::vector<T> r(static_cast<std::size_t>(classes_));
            for (std::int64_t i = 0; i < classes_; ++i) r[static_cast<std::size_t>(i)] = T((k >> i) & 1);
            return tensor_type::from_host({1, classes_}, r);
        }

        bool categorical_;
        std::int64_t classes_;  // K classes, or L binary labels
        double alpha_;
        double log_p_y_;
        std::unique_ptr<nn::module<T, B>> net_;
    };
};

}  // namespace latent
