// latent/objectives/mvae.hpp: Wu & Goodman's multimodal VAE (MODELS.md §6), the label as a second modality.
//
// One latent block z with p(z) = N(0, I). Two Gaussian experts: q(z|x), the model's own encoder
// head of z, and q(z|y), a network of the objective's (y's float code, the one-hot [K] of a
// categorical label or the 0/1 vector [L] of binary labels → [loc | raw], scale
// max(softplus(raw), 1e-3)). A posterior for any subset S of the modalities is the product of
// the prior and the experts in S (precision-weighted, per dimension):
//   1/σ² = 1 + Σ_{i∈S} 1/σ_i²,   μ = σ²·Σ_{i∈S} μ_i/σ_i².
// Two decoders: p(x|z), the model's decoder and likelihood (elbo_view::recon_of), and
// p(y|z) with g a network of the objective's: Cat(softmax(g(z))) over K classes, or
// Π_i Bern(y_i | sigmoid(g_i(z))) over L binary labels (−log p(y|z) = Σ_i binary cross-entropy
// with logits). As losses, with λ the label's likelihood weight and β the KL weight:
//   −ELBO(x, y) = E_{q(z|x,y)}[−log p(x|z) − λ·log p(y|z)] + β·KL(q(z|x,y) ‖ N(0, I))
//   −ELBO(x)    = E_{q(z|x)}[−log p(x|z)]                  + β·KL(q(z|x) ‖ N(0, I))
//   −ELBO(y)    = E_{q(z|y)}[−λ·log p(y|z)]                + β·KL(q(z|y) ‖ N(0, I))
// where q(z|x,y) = PoE(prior, x, y), q(z|x) = PoE(prior, x), q(z|y) = PoE(prior, y). Each
// expectation is one reparameterised draw, each KL analytic. A labelled example contributes all
// three, an unlabelled one −ELBO(x) only. Main loss pieces, each the batch mean over ALL n rows of
// the masked per-example loss (so they add up to (1/n)·Σ_examples of the example's loss):
//   "mvae.x" (every row), "mvae.joint" and "mvae.y" (labelled rows; 0 for the others).
// Draws from the model's generator, after the model's own sample of q(z|x) (which MVAE does not
// use): ε_x [n, dim] for q(z|x), then, only when the batch has a labelled row, ε_xy [n, dim] for
// q(z|x,y) and ε_y [n, dim] for q(z|y) (drawn for every row; hidden rows are masked out).
// Settings: "mvae.label_weight" (λ, default 1: the plain ELBO; Wu & Goodman up-weight the small
// label modality), "mvae.kl_weight" (β, default 1; set_kl_weight anneals it), and the usual
// piece weights "weight.mvae.x", "weight.mvae.joint", "weight.mvae.y" (default 1).
// One latent block only (config_error naming the reason otherwise).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/dist/kl.hpp"
#include "latent/dist/normal.hpp"
#include "latent/objectives/objective.hpp"

namespace latent {

struct mvae_objective {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = true;
    static constexpr label_route route = label_route::label_expert;

    template <scalar T, backend B>
    class impl {
    public:
        using var_type = var<T, B>;
        using tensor_type = tensor<T, B>;
        using normal_type = dist::normal<T, B>;

        explicit impl(const term_args<T, B>& a)
            : categorical_(a.categorical),
              classes_(a.label_outputs),
              label_weight_(a.options.take("mvae.label_weight", 1.0)),
              kl_weight_(a.options.take("mvae.kl_weight", 1.0)),
              x_weight_(a.options.weight_of("mvae.x", 1.0)),
              joint_weight_(a.options.weight_of("mvae.joint", 1.0)),
              y_weight_(a.options.weight_of("mvae.y", 1.0)) {
            LATENT_CHECK(a.label_outputs >= 1, config_error, "mvae_objective: needs labels (the label is the ",
                         "second modality); this data has ", a.label_outputs, " label columns");
            LATENT_CHECK(a.layout.segments.size() == 1, config_error, "mvae_objective: needs exactly one latent block ",
                         "(the experts' product is over z); this model has ", a.layout.segments.size());
            LATENT_CHECK(label_weight_ >= 0, config_error, "mvae.label_weight is ", label_weight_,
                         "; it must be non-negative");
            LATENT_CHECK(kl_weight_ >= 0, config_error, "mvae.kl_weight is ", kl_weight_, "; it must be non-negative");
            dim_ = a.layout.segments[0].dim;
            // q(z|y) reads a one-hot code or a 0/1 vector: a head-shaped network (one linear layer is
            // already a per-class table). p(y|z) maps a latent to label logits, as an adversary does.
            expert_ = make_network(a.nets, {net_role::head, "expert.y", {classes_}, {2 * dim_}}, a.gen, model_group,
                                   "mvae_objective");
            label_decoder_ = make_network(a.nets, {net_role::adversary, "label_decoder", {dim_}, {classes_}}, a.gen,
                                          model_group, "mvae_objective");
        }

        /// Adds "mvae.x", "mvae.joint", "mvae.y" (see the file's comment); draws ε_x, then ε_xy and
        /// ε_y when a row is labelled.
        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            const forward_pass<T, B>& f = v.f;
            LATENT_CHECK(f.gen != nullptr, config_error, "mvae_objective: the forward pass carries no generator");
            generator& gen = *f.gen;
            const normal_type x_expert = v.posterior(0);

            // −ELBO(x), every row.
            const normal_type q_x = product_of_experts({x_expert});
            const var_type x_loss = v.recon_of(q_x.rsample(gen)) + kl_to_prior(q_x) * kl_weight_;
            out.add_main("mvae.x", mean(x_loss) * x_weight_);

            // −ELBO(x, y) and −ELBO(y), labelled rows.
            const var_type& y = f.y.as_float;
            normal_type y_expert;  // q(z|y): made by the joint piece, read by the label's own
            const var_type joint_loss = labelled_rows(f, [&] {
                y_expert = expert_of(y);
                const normal_type q_xy = product_of_experts({x_expert, y_expert});
                const var_type z_xy = q_xy.rsample(gen);
                return v.recon_of(z_xy) + label_nll(z_xy, y) * label_weight_ + kl_to_prior(q_xy) * kl_weight_;
            });
            const var_type y_loss = labelled_rows(f, [&] {
                const normal_type q_y = product_of_experts({y_expert});
                return label_nll(q_y.rsample(gen), y) * label_weight_ + kl_to_prior(q_y) * kl_weight_;
            });
            out.add_main("mvae.joint", mean(joint_loss) * joint_weight_);
            out.add_main("mvae.y", mean(y_loss) * y_weight_);
        }

        /// The product of N(0, I) and the given Gaussian experts (each loc, scale [n, dim]):
        /// 1/σ² = 1 + Σ_i 1/σ_i², μ = σ²·Σ_i μ_i/σ_i², per element. Differentiable in every expert.
        /// requires: at least one expert, all of one shape (shape_error from the ops otherwise).
        static normal_type product_of_experts(std::initializer_list<normal_type> experts) {
            LATENT_CHECK(experts.size() > 0, config_error, "mvae_objective::product_of_experts: no experts");
            var_type precision, weighted;
            bool first = true;
            for (const normal_type& e : experts) {
                const var_type p = 1.0 / square(e.scale);
                precision = first ? p + 1.0 : precision + p;
                weighted = first ? e.loc * p : weighted + e.loc * p;
                first = false;
            }
            const var_type variance = 1.0 / precision;
            return normal_type{weighted * variance, sqrt(variance)};
        }

        /// The label expert q(z|y) for label values y (one-hot [n, K], or binary [n, L]): its network's
        /// [loc | raw], scale max(softplus(raw), 1e-3).
        normal_type expert_of(const var_type& y) const {
            const var_type h = (*expert_)(y);
            return dist::normal_from_softplus(slice_features(h, 0, dim_), slice_features(h, dim_, 2 * dim_), 1e-3);
        }
        /// p(y|z)'s logits [n, K] (categorical) or [n, L] (binary) for latents z [n, dim].
        var_type label_logits(const var_type& z) const { return (*label_decoder_)(z); }
        /// −log p(y|z) per example [n, 1]: categorical, the cross-entropy against one-hot (or
        /// probability) rows y [n, K]; binary, Σ_i of the binary cross-entropies against y [n, L].
        var_type label_nll(const var_type& z, const var_type& y) const {
            if (categorical_) return cross_entropy_with_logits(label_logits(z), y);
            return sum_rows(binary_cross_entropy_with_logits(label_logits(z), y));
        }

        /// A classifier from the x-expert alone: q(y|x) ≈ p(y | z = μ), μ the mean of
        /// PoE(prior, x-expert): categorical, [n, K] rows summing to 1; binary, each label's
        /// P(y_i = 1) = sigmoid(g_i(μ)), [n, L]. Pass the model's posterior_normal(x, ·, "z");
        /// wrap the call in no_grad when no gradient is wanted (mvae_class_probabilities does).
        var_type class_probabilities(const normal_type& x_expert) const {
            const var_type logits = label_logits(product_of_experts({x_expert}).loc);
            return categorical_ ? softmax_rows(logits) : sigmoid(logits);
        }

        /// β, for a KL-annealing schedule (Wu & Goodman anneal it from 0 to 1 early in training).
        void set_kl_weight(double beta) {
            LATENT_CHECK(beta >= 0, config_error, "mvae_objective::set_kl_weight: ", beta, " is negative");
            kl_weight_ = beta;
        }
        double kl_weight() const { return kl_weight_; }
        double label_weight() const { return label_weight_; }

        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) {
            fn(*expert_);
            fn(*label_decoder_);
        }

    private:
        /// KL(q ‖ N(0, I)) summed over the dims, [n, 1].
        static var_type kl_to_prior(const normal_type& q) { return sum_rows(dist::kl_standard_normal_elements(q)); }

        bool categorical_;
        std::int64_t classes_;  // K classes, or L binary labels
        std::int64_t dim_ = 0;
        double label_weight_, kl_weight_, x_weight_, joint_weight_, y_weight_;
        std::unique_ptr<nn::module<T, B>> expert_, label_decoder_;
    };
};

}  // namespace latent
