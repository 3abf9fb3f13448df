// latent/objectives/ccvae.hpp: CCVAE's supervised and unsupervised bounds (MODELS.md §5, seed 002).
//
// ccvae_objective<"c"> reads the characteristic segment `c` (z_c) and every
// other stochastic segment (z_\c, with their own priors). It owns the
// classifier q(y | z_c) (objectives/characteristic_classifier.hpp: softmax for
// one categorical label, a diagonal Bernoulli layer for binary labels).
// Per labelled example (a loss, the negated bound):
//   −L_sup = −[ w·( −recon − KL_\c − (log q(z_c|x) − log p(z_c|y)) − log q(y|z_c) ) + log q(y|x) + log p(y) ]
//   with w = q(y | z̄_c) / q(y|x), z̄_c the same sample with its gradient stopped (the encoder
//   learns nothing through the numerator; the classifier does), and
//   log q(y|x) ≈ logsumexp_k log q(y | z_c^(k)) − log K over K reparameterised draws.
// Per unlabelled example:
//   −L_unsup = −[ −recon − KL_\c − log q(z_c|x) + E_{q(y|z_c)}[ log p(z_c|y) + log p(y) − log q(y|z_c) ] ],
//   the expectation summed exactly over the K classes for one categorical label (the default
//   there), or from one draw ŷ ~ q(y|z_c) without a score-function term for binary labels (as the
//   authors' code does); the setting "ccvae.sampled_unsupervised" = 1 draws for a categorical
//   label too. log q(z_c|x) and log p(z_c|y) are evaluated at the sample z_c; KL_\c is analytic.
// The main loss is the batch mean of both: "ccvae.sup" (labelled rows) + "ccvae.unsup" (the rest).
// p(y) is uniform (Fashion-MNIST's classes are balanced; binary labels: ½ each) unless
// set_label_prior gives the label frequencies of the labelled split.
// Settings: "ccvae.samples" (K, default 100), "ccvae.sampled_unsupervised" (0/1).
#pragma once

#include <cmath>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/objectives/characteristic_classifier.hpp"
#include "latent/objectives/objective.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

template <fixed_string Characteristic = "c">
struct ccvae_objective {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = true;
    static constexpr label_route route = label_route::characteristic_latent;
    static constexpr fixed_string segment = Characteristic;

    template <scalar T, backend B>
    class impl {
    public:
        using var_type = var<T, B>;
        using tensor_type = tensor<T, B>;

        explicit impl(const term_args<T, B>& a)
            : index_(a.layout.index_of(Characteristic.view())),
              dim_(a.layout[Characteristic.view()].dim),
              samples_(static_cast<std::int64_t>(a.options.take("ccvae.samples", 100))),
              sampled_unsupervised_(!a.categorical || a.options.take("ccvae.sampled_unsupervised", 0) != 0),
              classifier_(a, Characteristic.view(), "ccvae_objective") {
            LATENT_CHECK(samples_ >= 1, config_error, "ccvae.samples is ", samples_, "; it must be at least 1");
        }

        /// p(y) from the labelled split's frequencies (see characteristic_classifier).
        void set_label_prior(const std::vector<double>& frequencies) { classifier_.set_label_prior(frequencies); }

        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            const forward_pass<T, B>& f = v.f;
            LATENT_CHECK(f.gen != nullptr, config_error, "ccvae_objective: the forward pass carries no generator");
            const var_type& zc = f.samples[index_];
            const dist::normal<T, B> q = v.posterior(index_);
            // Shared by both bounds: −recon − KL of the other blocks − log q(z_c | x).
            var_type common = -v.recon - sum_rows(q.log_prob_elements(zc));
            for (std::size_t i = 0; i < f.layout->segments.size(); ++i)
                if (i != index_ && v.has_kl(i)) common = common - v.kl(i, f.y.as_float);

            const var_type sup_loss = labelled_rows(f, [&] { return -supervised(v, q, zc, common, *f.gen); });
            const var_type unsup_loss = unlabelled_rows(f, [&] { return -unsupervised(v, zc, common, *f.gen); });
            out.add_main("ccvae.sup", mean(sup_loss));
            out.add_main("ccvae.unsup", mean(unsup_loss));
        }

        /// The classifier's logits for z_c [n, dim]: [n, K] (categorical) or [n, L] (binary).
        var_type logits(const var_type& z) const { return classifier_.logits(z); }
        /// log q(y | z) per example [n, 1] for label values y [n, K].
        var_type log_q_y(const var_type& z, const var_type& y) const { return classifier_.log_q_y(z, y); }
        /// log q(y|x) per example: logsumexp over K reparameterised draws of z_c of log q(y|z_c), − log K.
        var_type log_q_y_given_x(const dist::normal<T, B>& q, const var_type& y, generator& gen) const {
            const std::int64_t n = y.rows(), k = samples_;
            const var_type repeat(repeat_rows(n, k));  // [n·k, n]: row i·k + j reads example i
            const var_type loc = matmul(repeat, q.loc), scale = matmul(repeat, q.scale);
            tensor_type eps({n * k, dim_});
            normal_(eps, gen);
            const var_type draws = loc + scale * var_type(eps);
            const var_type ll = reshape(log_q_y(draws, matmul(repeat, y)), shape{n, k});
            return logsumexp_rows(ll) - std::log(static_cast<double>(k));
        }

        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}
        void for_each_parameter(const std::function<void(parameter<T, B>&)>& fn) { classifier_.for_each_parameter(fn); }

    private:
        var_type supervised(const elbo_view<T, B>& v, const dist::normal<T, B>& q, const var_type& zc,
                            const var_type& common, generator& gen) const {
            const var_type& y = v.f.y.as_float;
            const dist::normal<T, B> p = v.prior(index_, y);
            const var_type log_q_y_zc = log_q_y(zc, y);
            const var_type log_q_y_x = log_q_y_given_x(q, y, gen);
            const var_type weight = exp(log_q_y(detach(zc), y) - log_q_y_x);
            const var_type inner = common + sum_rows(p.log_prob_elements(zc)) - log_q_y_zc;
            return weight * inner + log_q_y_x + classifier_.log_p_y(y);
        }

        var_type unsupervised(const elbo_view<T, B>& v, const var_type& zc, const var_type& common,
                              generator& gen) const {
            const var_type l = logits(zc);
            if (!sampled_unsupervised_) {  // Σ_c q(c|z_c)·(log p(z_c|c) + log p(c) − log q(c|z_c))
                const var_type log_q = log_softmax_rows(l);
                std::vector<var_type> per_class;
                for (std::int64_t c = 0; c < classifier_.labels(); ++c) {
                    const var_type onehot(class_rows(zc.rows(), c));
                    per_class.push_back(sum_rows(v.prior(index_, onehot).log_prob_elements(zc)));
                }
                const var_type log_p_z = concat_features(std::span<const var_type>(per_class));
                const var_type inside = log_p_z + var_type(classifier_.log_prior()) - log_q;
                return common + sum_rows(exp(log_q) * inside);
            }
            const var_type y_hat(classifier_.draw_labels(l.value(), gen));
            return common + sum_rows(v.prior(index_, y_hat).log_prob_elements(zc)) + classifier_.log_p_y(y_hat) -
                   classifier_.log_q_y_from_logits(l, y_hat);
        }

        /// [n·k, n] with row i·k + j selecting example i: a matmul repeats each row k times.
        static tensor_type repeat_rows(std::int64_t n, std::int64_t k) {
            std::vector<T> r(static_cast<std::size_t>(n * k * n), T(0));
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t j = 0; j < k; ++j) r[static_cast<std::size_t>((i * k + j) * n + i)] = T(1);
            return tensor_type::from_host({n * k, n}, r);
        }
        /// [n, K] rows all one-hot at class c.
        tensor_type class_rows(std::int64_t n, std::int64_t c) const {
            const std::int64_t k = classifier_.labels();
            std::vector<T> r(static_cast<std::size_t>(n * k), T(0));
            for (std::int64_t i = 0; i < n; ++i) r[static_cast<std::size_t>(i * k + c)] = T(1);
            return tensor_type::from_host({n, k}, r);
        }

        std::size_t index_;
        std::int64_t dim_;
        std::int64_t samples_;
        bool sampled_unsupervised_;
        detail::characteristic_classifier<T, B> classifier_;
    };
};

}  // namespace latent
