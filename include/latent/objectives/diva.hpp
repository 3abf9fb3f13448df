// latent/objectives/diva.hpp: the modified DIVA of seed 002 (MODELS.md §6), a CCVAE baseline.
//
// CCVAE's latent split and priors, but the label enters through an auxiliary classifier term
// instead of CCVAE's importance weight:
//   labelled:   recon + KL_\c + KL(q(z_c|x) ‖ p(z_c|y)) + α·(−log q(y|z_c))
//   unlabelled: recon + KL_\c + KL(q(z_c|x) ‖ p(z_c|ŷ)),  ŷ ~ q(y|z_c) drawn (no graph): the
//               classifier imputes the label
// Pieces (batch means): "diva.labelled", "diva.unlabelled", "diva.classifier". α is the setting
// "diva.alpha" (default 1 per labelled example: ours; DIVA weighs its auxiliary classifiers by
// a large constant on summed objectives). KLs are analytic (Normal–Normal). The classifier is
// CCVAE's (objectives/characteristic_classifier.hpp).
#pragma once

#include <functional>
#include <vector>

#include "latent/objectives/characteristic_classifier.hpp"
#include "latent/objectives/objective.hpp"

namespace latent {

template <fixed_string Characteristic = "c">
struct diva_objective {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = true;
    static constexpr label_route route = label_route::characteristic_latent;
    static constexpr fixed_string segment = Characteristic;

    template <scalar T, backend B>
    class impl {
    public:
        using var_type = var<T, B>;

        explicit impl(const term_args<T, B>& a)
            : index_(a.layout.index_of(Characteristic.view())),
              alpha_(a.options.take("diva.alpha", 1.0)),
              classifier_(a, Characteristic.view(), "diva_objective") {
            LATENT_CHECK(alpha_ >= 0, config_error, "diva.alpha is ", alpha_, "; it must be non-negative");
        }

        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            const forward_pass<T, B>& f = v.f;
            LATENT_CHECK(f.gen != nullptr, config_error, "diva_objective: the forward pass carries no generator");
            const var_type& zc = f.samples[index_];
            var_type common = v.recon;  // recon + KL of every block but z_c
            for (std::size_t i = 0; i < f.layout->segments.size(); ++i)
                if (i != index_ && v.has_kl(i)) common = common + v.kl(i, f.y.as_float);
            const var_type l = classifier_.logits(zc);
            const var_type& y = f.y.as_float;
            const var_type labelled = labelled_rows(f, [&] { return common + v.kl(index_, y); });
            const var_type classifier =
                labelled_rows_weighted(f, alpha_, [&] { return -classifier_.log_q_y_from_logits(l, y); });
            const var_type unlabelled = unlabelled_rows(f, [&] {
                const var_type y_hat(classifier_.draw_labels(l.value(), *f.gen));
                return common + v.kl(index_, y_hat);
            });
            out.add_main("diva.labelled", mean(labelled));
            out.add_main("diva.unlabelled", mean(unlabelled));
            out.add_main("diva.classifier", mean(classifier));
        }

        /// The classifier's logits for z_c (what classify() in models/characteristics.hpp reads).
        var_type logits(const var_type& z) const { return classifier_.logits(z); }
        void set_label_prior(const std::vector<double>& frequencies) { classifier_.set_label_prior(frequencies); }

        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}
        void for_each_parameter(const std::function<void(parameter<T, B>&)>& fn) { classifier_.for_each_parameter(fn); }

    private:
        std::size_t index_;
        double alpha_;
        detail::characteristic_classifier<T, B> classifier_;
    };
};

}  // namespace latent
