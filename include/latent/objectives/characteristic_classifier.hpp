// latent/objectives/characteristic_classifier.hpp: q(y | z_c) and p(y) for CCVAE-style objectives.
//
// The classifier from a characteristic segment z_c to the labels (MODELS.md §5):
//  - one categorical label (K classes): Cat(softmax(z_c·W + b)), W [dim, K] from N(0, 1/dim);
//  - L binary labels (z_c = label_blocks, d dims each): Bern(σ(a_i·z_c^i + b_i)) per label,
//    a diagonal layer (label i sees only its own block), a = 1 and b = 0 at the start.
// Its parameters ("classifier.weight", "classifier.bias") join the model's group. p(y) is
// uniform (½ per binary label, 1/K per class) unless set_label_prior gives label frequencies.
// Shared by ccvae_objective and diva_objective.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/autograd/parameter.hpp"
#include "latent/objectives/term.hpp"
#include "latent/tensor/random.hpp"

namespace latent::detail {

template <scalar T, backend B>
class characteristic_classifier {
public:
    using var_type = var<T, B>;
    using tensor_type = tensor<T, B>;

    /// requires: with one categorical label `segment` is one block; with binary labels it is
    /// label_blocks (config_error naming `who` otherwise).
    characteristic_classifier(const term_args<T, B>& a, std::string_view segment, const char* who)
        : categorical_(a.categorical),
          labels_(a.label_outputs),
          weight_("classifier.weight", initial_weight(a, segment)),
          bias_("classifier.bias", tensor_type::zeros({1, a.label_outputs})),
          log_prior_(tensor_type::full({1, a.label_outputs}, T(a.categorical ? -std::log(double(a.label_outputs))
                                                                             : -std::log(2.0)))),
          log_prior_off_(tensor_type::full({1, a.label_outputs}, T(-std::log(2.0)))) {
        const latent::segment& c = a.layout[segment];
        if (categorical_) {
            LATENT_CHECK(!c.per_label, config_error, who, ": with one categorical label, \"", c.name,
                         "\" is one block (block<…>), not label_blocks<…>");
        } else {
            LATENT_CHECK(c.per_label && c.dim == labels_ * c.dim_per_label, config_error, who,
                         ": with binary labels, \"", c.name, "\" must be label_blocks<…> (one block per label)");
            expansion_ = transpose_expansion(labels_, c.dim_per_label);
        }
    }

    bool categorical() const { return categorical_; }
    std::int64_t labels() const { return labels_; }

    /// p(y) from label frequencies: for one categorical label the K class frequencies, for
    /// binary labels the L frequencies of "on" (each in (0, 1)).
    void set_label_prior(const std::vector<double>& frequencies) {
        LATENT_CHECK(static_cast<std::int64_t>(frequencies.size()) == labels_, config_error,
                     "set_label_prior: ", frequencies.size(), " frequencies for ", labels_, " label columns");
        std::vector<T> on, off;
        for (double p : frequencies) {
            LATENT_CHECK(p > 0 && p < 1, config_error, "set_label_prior: frequency ", p, " is not in (0, 1)");
            on.push_back(static_cast<T>(std::log(p)));
            off.push_back(static_cast<T>(std::log1p(-p)));
        }
        log_prior_ = tensor_type::from_host({1, labels_}, on);
        if (!categorical_) log_prior_off_ = tensor_type::from_host({1, labels_}, off);
    }

    /// The logits for z_c [n, dim]: [n, K] (categorical) or [n, L] (binary).
    var_type logits(const var_type& z) const {
        if (categorical_) return matmul(z, weight_.as_var()) + bias_.as_var();
        return matmul(z * weight_.as_var(), var_type(expansion_)) + bias_.as_var();
    }
    /// log q(y | z) per example [n, 1] for label values y [n, K] (one-hot, or 0/1 per label).
    var_type log_q_y(const var_type& z, const var_type& y) const { return log_q_y_from_logits(logits(z), y); }
    var_type log_q_y_from_logits(const var_type& l, const var_type& y) const {
        if (categorical_) return sum_rows(log_softmax_rows(l) * y);
        return -sum_rows(binary_cross_entropy_with_logits(l, y));
    }
    /// log p(y) per example [n, 1] (binary: log p(y_i = 1) where on, log p(y_i = 0) where off).
    var_type log_p_y(const var_type& y) const {
        if (categorical_) return sum_rows(y * var_type(log_prior_));
        return sum_rows(y * var_type(log_prior_) + (1.0 - y) * var_type(log_prior_off_));
    }
    /// log p(y) per class [1, K] (categorical).
    const tensor_type& log_prior() const { return log_prior_; }

    /// ŷ ~ q(y | z_c) given its logits, with no graph: one class per row (one-hot) or one
    /// Bernoulli per label; uniforms from `gen` ([n, 1] or [n, L]).
    tensor_type draw_labels(const tensor_type& l, generator& gen) const {
        const std::int64_t n = l.rows(), k = l.cols();
        tensor_type u({n, categorical_ ? 1 : k});
        uniform_(u, gen);
        const std::vector<T> lv = l.to_vector(), uv = u.to_vector();
        std::vector<T> out(static_cast<std::size_t>(n * k), T(0));
        for (std::int64_t i = 0; i < n; ++i) {
            const T* row = lv.data() + i * k;
            if (categorical_) {  // inverse CDF of softmax(row)
                double top = row[0], total = 0, acc = 0;
                for (std::int64_t c = 1; c < k; ++c) top = std::max<double>(top, row[c]);
                for (std::int64_t c = 0; c < k; ++c) total += std::exp(double(row[c]) - top);
                std::int64_t pick = k - 1;
                for (std::int64_t c = 0; c < k; ++c) {
                    acc += std::exp(double(row[c]) - top) / total;
                    if (double(uv[static_cast<std::size_t>(i)]) < acc) {
                        pick = c;
                        break;
                    }
                }
                out[static_cast<std::size_t>(i * k + pick)] = T(1);
            } else {
                for (std::int64_t c = 0; c < k; ++c)
                    out[static_cast<std::size_t>(i * k + c)] =
                        double(uv[static_cast<std::size_t>(i * k + c)]) < 1 / (1 + std::exp(-double(row[c]))) ? T(1)
                                                                                                              : T(0);
            }
        }
        return tensor_type::from_host({n, k}, out);
    }

    void for_each_parameter(const std::function<void(parameter<T, B>&)>& fn) {
        fn(weight_);
        fn(bias_);
    }

private:
    /// [L·d, L]: sums each label's block of d dims into that label's logit.
    static tensor_type transpose_expansion(std::int64_t labels, std::int64_t d) {
        std::vector<T> e(static_cast<std::size_t>(labels * d * labels), T(0));
        for (std::int64_t i = 0; i < labels; ++i)
            for (std::int64_t j = 0; j < d; ++j) e[static_cast<std::size_t>((i * d + j) * labels + i)] = T(1);
        return tensor_type::from_host({labels * d, labels}, e);
    }
    static tensor_type initial_weight(const term_args<T, B>& a, std::string_view segment) {
        const latent::segment& c = a.layout[segment];
        if (!a.categorical) return tensor_type::ones({1, c.dim});
        tensor_type w({c.dim, a.label_outputs});
        normal_(w, a.gen, 0.0, 1.0 / std::sqrt(static_cast<double>(c.dim)));
        return w;
    }

    bool categorical_;
    std::int64_t labels_;
    parameter<T, B> weight_, bias_;
    tensor_type log_prior_, log_prior_off_, expansion_;
};

}  // namespace latent::detail
