// latent/objectives/gan.hpp: the swap model's conditional discriminator (MODELS.md §7).
//
// gan_discriminator<Segment> is the adversarial half of Mathieu et al.'s Algorithm 1. Each
// example x1 of the batch gets a partner x2 of another label (objectives/partners.hpp), and
// Dec(z1, s2), x1's other segments with x2's `Segment`, should look like a real image of x2's
// label id2. With D(x, id) = σ(Adv(x, id)):
//  - generator (main loss, weight "gan.<Segment>" = λ):
//      λ·( mean −log D(Dec(z1, s2), id2)  [+ mean −log D(Dec(z, s2), id2), z ~ N(0, I)] ),
//    the second piece when "gan.<Segment>.prior_fakes" is 1 (the default);
//  - discriminator (own group "discriminator", weight "discriminator"):
//      mean −log(1 − D(Dec(z1, s2)‾, id2)) + mean −[t·log D(x2, id2) + (1 − t)·log(1 − D(x2, id2))],
//    the fakes detached, t the real target "gan.<Segment>.real_target" (1 by default; the
//    authors' 0.95 is one-sided label smoothing).
// Adv has one output. For one categorical label it is conditioned on id through lookup tables
// added at its first "gan.<Segment>.tables" (3) weight layers (nn/label_conditioned.hpp); binary
// labels leave it unconditioned. With "gan.<Segment>.gate" = a in (0, 1], the discriminator
// steps only on batches where its accuracy (reals above ½, fakes below) is under a, as a public
// PyTorch version of the model does with 0.8; 0 (the default) steps on every batch. Its accuracy
// is reported as the term "gan.<Segment>.d_accuracy".
// Algorithm 1 steps the adversary after the generator, on codes of the updated encoder: train
// with trainer_options::alternating(true) for that order.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/nn/label_conditioned.hpp"
#include "latent/objectives/partners.hpp"
#include "latent/objectives/term.hpp"
#include "latent/tensor/random.hpp"

namespace latent {

template <fixed_string Segment>
struct gan_discriminator {
    static constexpr fixed_string segment = Segment;

    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const term_args<T, B>& a)
            : categorical_(a.categorical),
              name_("gan." + Segment.str()),
              weight_(a.options.weight_of(name_, 1.0)),
              own_weight_(a.options.weight_of(group, 1.0)),
              prior_fakes_(a.options.take(name_ + ".prior_fakes", 1.0) != 0),
              real_target_(a.options.take(name_ + ".real_target", 1.0)),
              gate_(a.options.take(name_ + ".gate", 0.0)) {
            LATENT_CHECK(real_target_ > 0 && real_target_ <= 1, config_error, name_, ".real_target is ", real_target_,
                         "; it must be in (0, 1]");
            LATENT_CHECK(gate_ >= 0 && gate_ <= 1, config_error, name_, ".gate is ", gate_,
                         "; it must be in [0, 1] (0: no gate)");
            const int tables = static_cast<int>(a.options.take(name_ + ".tables", 3.0));
            const net_request request{net_role::discriminator, group, a.example_shape, {1}};
            auto net = make_network(a.nets, request, a.gen, group, "gan_discriminator");
            if (categorical_)
                conditioned_.emplace(std::move(net), a.label_outputs, tables, a.gen, group);
            else
                plain_ = std::move(net);
        }

        void add(const forward_pass<T, B>& f, step_losses<T, B>& out) {
            LATENT_CHECK(f.decode != nullptr && f.gen != nullptr, config_error, name_,
                         ": the forward pass carries no decoder or generator (only training passes do)");
            generator& gen = *f.gen;
            const partners<T, B> x2 = draw_partners(f, gen, partner_kind::other_label);
            const std::size_t k = f.layout->index_of(Segment.view());

            std::vector<var<T, B>> parts = f.samples;
            parts[k] = x2.of(f.samples[k]);
            const var<T, B> fake = f.decode(concat_features(std::span<const var<T, B>>(parts)), x2.labels);

            if (f.wanted != loss_set::adversaries) add_generator_loss(f, fake, parts, k, x2, out);
            if (f.wanted == loss_set::model) return;

            const var<T, B> on_fake = logit(detach(fake), x2.labels);
            const var<T, B> on_real = logit(x2.of(f.x), x2.labels);
            const var<T, B> own = (mean(fake_nll(on_fake)) + mean(real_nll(on_real, real_target_))) * own_weight_;
            const double accuracy = batch_accuracy(on_real.value(), on_fake.value());
            out.add_group(group, group, own, gate_ == 0 || accuracy < gate_);
            out.terms.emplace_back(name_ + ".d_accuracy", accuracy);
        }

        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) {
            if (conditioned_) conditioned_->for_each_module(fn);
            else fn(*plain_);
        }
        /// D's logit for images [n, …] under labels y: [n, 1].
        var<T, B> logit(const var<T, B>& images, const label_batch<T, B>& y) {
            return conditioned_ ? (*conditioned_)(images, y.classes) : (*plain_)(images);
        }
        /// How many lookup tables condition D on the label (0 for binary labels).
        std::size_t tables() const { return conditioned_ ? conditioned_->tables() : 0; }

        static constexpr const char* group = "discriminator";

    private:
        /// λ·(−log D(Dec(z1, s2), id2) [− log D(Dec(z, s2), id2)]) into the main loss. It reaches D's
        /// parameters too; the trainer clears D's gradients before its own step, so only encoder
        /// and decoder learn from it.
        void add_generator_loss(const forward_pass<T, B>& f, const var<T, B>& fake, std::vector<var<T, B>>& parts,
                                std::size_t k, const partners<T, B>& x2, step_losses<T, B>& out) {
            var<T, B> generator_loss = mean(real_nll(logit(fake, x2.labels)));
            if (prior_fakes_) {
                for (std::size_t i = 0; i < parts.size(); ++i)
                    if (i != k) parts[i] = var<T, B>(standard_normal_like(f.samples[i].value(), *f.gen));
                const var<T, B> dreamt = f.decode(concat_features(std::span<const var<T, B>>(parts)), x2.labels);
                generator_loss = generator_loss + mean(real_nll(logit(dreamt, x2.labels)));
            }
            out.add_main(name_, generator_loss * weight_);
        }

        /// The fraction of D's calls that are right: reals above ½, fakes below.
        static double batch_accuracy(const tensor<T, B>& real, const tensor<T, B>& fake) {
            const std::vector<T> r = real.to_vector(), g = fake.to_vector();
            std::int64_t right = 0;
            for (const T v : r) right += v > T(0);
            for (const T v : g) right += v < T(0);
            return static_cast<double>(right) / static_cast<double>(std::max<std::size_t>(r.size() + g.size(), 1));
        }

        static tensor<T, B> standard_normal_like(const tensor<T, B>& like, generator& gen) {
            tensor<T, B> z(like.shape());
            normal_(z, gen);
            return z;
        }

        /// −[t·log σ(l) + (1 − t)·log(1 − σ(l))] per example: "real", with target t.
        static var<T, B> real_nll(const var<T, B>& logits, double target = 1.0) {
            return binary_cross_entropy_with_logits(logits, constant(logits, target));
        }
        /// −log(1 − σ(l)) per example: "generated".
        static var<T, B> fake_nll(const var<T, B>& logits) {
            return binary_cross_entropy_with_logits(logits, constant(logits, 0.0));
        }
        static var<T, B> constant(const var<T, B>& like, double v) {
            return var<T, B>(tensor<T, B>::full(like.shape(), static_cast<T>(v)));
        }

        bool categorical_;
        std::string name_;
        double weight_, own_weight_;
        bool prior_fakes_;
        double real_target_, gate_;
        std::optional<nn::label_conditioned<T, B>> conditioned_;  // one categorical label
        std::unique_ptr<nn::module<T, B>> plain_;                 // binary labels
    };
};

}  // namespace latent
