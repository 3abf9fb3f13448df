// latent/objectives/gan.hpp: a GAN discriminator on swapped decodes (the swap model's adversary).
//
// gan_discriminator<Segment> judges images decoded from latents whose
// `Segment` was taken from a partner in the batch with another label
// (MODELS.md §7, Mathieu et al.): x1's other segments with x2's `Segment`,
// Dec(z1, s2), should look like a real image of x2's label. Two losses:
//  - generator (main loss, weight "gan.<Segment>" = λ):
//      λ·( mean −log D(Dec(z1, s2), id2)  [+ mean −log D(Dec(z, s2), id2), z ~ N(0, I)] ),
//    the second piece when the setting "gan.<Segment>.prior_fakes" is 1 (the default);
//  - discriminator (own group "discriminator", weight "discriminator"):
//      mean −log(1 − D(Dec(z1, s2)‾, id2)) + mean −[t·log D(x, id) + (1 − t)·log(1 − D(x, id))],
//    fakes detached, real images of the batch with their own labels, and t the real target
//    "gan.<Segment>.real_target" (1 by default; 0.95 is one-sided label smoothing).
// D is conditioned on a categorical label by reading the logit of that class
// from a network with one output per class; with binary labels it has one
// output and ignores them. Partners come from the model's generator, so they
// are part of a checkpoint's state; an example with no partner of another
// label in the batch takes any other example.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/loss.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
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
              real_target_(a.options.take(name_ + ".real_target", 1.0)) {
            LATENT_CHECK(real_target_ > 0 && real_target_ <= 1, config_error, name_, ".real_target is ", real_target_,
                         "; it must be in (0, 1]");
            const net_request request{net_role::discriminator, group, a.example_shape,
                                      {categorical_ ? a.label_outputs : 1}};
            net_ = make_network(a.nets, request, a.gen, group, "gan_discriminator");
        }

        void add(const forward_pass<T, B>& f, step_losses<T, B>& out) {
            LATENT_CHECK(f.decode != nullptr && f.gen != nullptr, config_error, name_,
                         ": the forward pass carries no decoder or generator (only training passes do)");
            generator& gen = *f.gen;
            const partners p = choose_partners(f, gen);
            const std::size_t k = f.layout->index_of(Segment.view());
            const var<T, B> swapped_segment = matmul(var<T, B>(p.selection), f.samples[k]);

            std::vector<var<T, B>> parts = f.samples;
            parts[k] = swapped_segment;
            const var<T, B> fake = f.decode(concat_features(std::span<const var<T, B>>(parts)), p.labels);

            // The generator's pieces reach D's parameters too; the trainer clears D's gradients
            // before its own step, so only encoder and decoder learn from them.
            var<T, B> generator_loss = mean(real_nll(logit(fake, p.labels)));
            if (prior_fakes_) {
                for (std::size_t i = 0; i < parts.size(); ++i)
                    if (i != k) parts[i] = var<T, B>(standard_normal_like(f.samples[i].value(), gen));
                const var<T, B> dreamt = f.decode(concat_features(std::span<const var<T, B>>(parts)), p.labels);
                generator_loss = generator_loss + mean(real_nll(logit(dreamt, p.labels)));
            }
            out.add_main(name_, generator_loss * weight_);

            const var<T, B> on_fakes = mean(fake_nll(logit(detach(fake), p.labels)));
            const var<T, B> on_real = mean(real_nll(logit(f.x, f.y), real_target_));
            out.add_group(group, group, (on_fakes + on_real) * own_weight_);
        }

        void for_each_module(const std::function<void(nn::module<T, B>&)>& fn) { fn(*net_); }
        /// The discriminator network (its logits: one per class, or one).
        nn::module<T, B>& net() { return *net_; }

        static constexpr const char* group = "discriminator";

    private:
        /// Each example's partner as a one-hot selection matrix [n, n] (row i picks partner π(i)),
        /// and the partners' labels, which the fakes are judged against.
        struct partners {
            tensor<T, B> selection;
            label_batch<T, B> labels;
        };

        partners choose_partners(const forward_pass<T, B>& f, generator& gen) {
            const std::int64_t n = f.batch, width = f.y.raw.cols();
            tensor<T, B> u(shape{n});
            uniform_(u, gen);
            const std::vector<T> draws = u.to_vector();
            const std::vector<std::int32_t> raw = f.y.raw.to_vector();
            auto same_label = [&](std::int64_t i, std::int64_t j) {
                for (std::int64_t c = 0; c < width; ++c)
                    if (raw[static_cast<std::size_t>(i * width + c)] != raw[static_cast<std::size_t>(j * width + c)])
                        return false;
                return true;
            };
            std::vector<T> selection(static_cast<std::size_t>(n * n), T(0));
            std::vector<std::int32_t> partner_labels(static_cast<std::size_t>(n * width));
            std::vector<std::int64_t> candidates;
            for (std::int64_t i = 0; i < n; ++i) {
                candidates.clear();
                for (std::int64_t j = 0; j < n; ++j)
                    if (!same_label(i, j)) candidates.push_back(j);
                if (candidates.empty())
                    for (std::int64_t j = 0; j < n; ++j)
                        if (j != i || n == 1) candidates.push_back(j);
                const auto pick = std::min(candidates.size() - 1,
                                           static_cast<std::size_t>(static_cast<double>(draws[static_cast<std::size_t>(i)]) *
                                                                    static_cast<double>(candidates.size())));
                const std::int64_t j = candidates[pick];
                selection[static_cast<std::size_t>(i * n + j)] = T(1);
                for (std::int64_t c = 0; c < width; ++c)
                    partner_labels[static_cast<std::size_t>(i * width + c)] = raw[static_cast<std::size_t>(j * width + c)];
            }
            return {tensor<T, B>::from_host({n, n}, selection),
                    f.labels(tensor<std::int32_t, B>::from_host({n, width}, partner_labels))};
        }

        static tensor<T, B> standard_normal_like(const tensor<T, B>& like, generator& gen) {
            tensor<T, B> z(like.shape());
            normal_(z, gen);
            return z;
        }

        /// D's logit for each image under its label: [n, 1].
        var<T, B> logit(const var<T, B>& images, const label_batch<T, B>& y) {
            const var<T, B> all = (*net_)(images);
            return categorical_ ? gather_cols(all, y.classes) : all;
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
        double real_target_;
        std::unique_ptr<nn::module<T, B>> net_;
    };
};

}  // namespace latent
