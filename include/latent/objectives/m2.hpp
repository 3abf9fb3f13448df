// latent/objectives/m2.hpp: Kingma et al.'s M2 (MODELS.md §6), y as a latent of its own.
//
// q(z | x, y), q(y | x) (a classifier network from x), p(x | y, z), p(z) = N(0, I), p(y) uniform.
// Per labelled example:   L(x, y) = recon(x | y, z) + KL(q(z|x,y) ‖ p(z)) − log p(y)
// Per unlabelled example: U(x) = Σ_y q(y|x)·L(x, y) − H(q(y|x)), every y enumerated (one
//                         encoder and decoder pass per class)
// Main loss: the batch mean of L on labelled rows and U on the rest ("m2.labelled",
// "m2.unlabelled"), plus α·mean over the batch's labelled rows of −log q(y|x) ("m2.classifier").
// α ("m2.alpha", default 0.1) is Kingma's α = 0.1·N written for per-example means: J/N =
// mean(L, U) + 0.1·mean_labelled(−log q(y|x)). One categorical label only (p(y) uniform over K).
#pragma once

#include <cmath>
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

struct m2_objective {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = true;

    template <scalar T, backend B>
    class impl {
    public:
        using var_type = var<T, B>;
        using tensor_type = tensor<T, B>;

        explicit impl(const term_args<T, B>& a)
            : classes_(a.label_outputs),
              alpha_(a.options.take("m2.alpha", 0.1)),
              log_p_y_(-std::log(static_cast<double>(a.label_outputs))) {
            LATENT_CHECK(a.categorical, config_error,
                         "m2_objective: needs one categorical label (y is a categorical latent)");
            LATENT_CHECK(alpha_ >= 0, config_error, "m2.alpha is ", alpha_, "; it must be non-negative");
            net_ = a.nets.make({net_role::classifier, "classifier", a.example_shape, {a.label_outputs}}, a.gen);
            LATENT_CHECK(net_ != nullptr, config_error, "m2_objective: the network factory returned no classifier");
            net_->prefix_names("classifier.");
            net_->set_group(model_group);
        }

        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            const forward_pass<T, B>& f = v.f;
            const var_type log_q = log_softmax_rows((*net_)(f.x));  // log q(y | x), [n, K]
            const var_type zero(tensor_type::zeros({f.batch, 1}));

            var_type labelled = zero, unlabelled = zero, classifier = zero;
            if (f.labelled_count > 0) {
                var_type elbo = v.recon - log_p_y_;  // L(x, y) with the batch's own pass
                for (std::size_t i = 0; i < f.layout->segments.size(); ++i)
                    if (v.has_kl(i)) elbo = elbo + v.kl(i, f.y.as_float);
                labelled = f.labelled * elbo;
                const var_type nll_y = -sum_rows(log_q * f.y.as_float);
                classifier = f.labelled * nll_y * (alpha_ * static_cast<double>(f.batch) /
                                                   static_cast<double>(f.labelled_count));
            }
            if (!f.all_labelled) {
                const var_type q = exp(log_q);
                std::vector<var_type> per_class;  // L(x, c) for every class c
                for (std::int64_t c = 0; c < classes_; ++c)
                    per_class.push_back(v.neg_elbo_given(class_labels(f.batch, c)) - log_p_y_);
                const var_type each = concat_features(std::span<const var_type>(per_class));
                const var_type u = sum_rows(q * each) + sum_rows(q * log_q);  // Σ q·L − H(q)
                unlabelled = (1.0 - f.labelled) * u;
            }
            out.add_main("m2.labelled", mean(labelled));
            out.add_main("m2.unlabelled", mean(unlabelled));
            out.add_main("m2.classifier", mean(classifier));
        }

        /// q(y | x) [n, K] for inputs x (no graph needed by the caller: wrap in no_grad).
        var_type class_probabilities(const var_type& x) { return softmax_rows((*net_)(x)); }

        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) { fn(*net_); }

    private:
        /// Labels [n, 1], every row class c.
        static tensor<std::int32_t, B> class_labels(std::int64_t n, std::int64_t c) {
            return tensor<std::int32_t, B>::full({n, 1}, static_cast<std::int32_t>(c));
        }

        std::int64_t classes_;
        double alpha_;
        double log_p_y_;
        std::unique_ptr<nn::module<T, B>> net_;
    };
};

}  // namespace latent
