// latent/objectives/swap_reconstruction.hpp: x1 rebuilt from the code of an image of its label.
//
// The reconstruction half of Mathieu et al.'s Algorithm 1 (MODELS.md §7): beside the ELBO's
// −log p(x1 | z1, s1), the model must also rebuild x1 from Dec(z1, s1'), s1' the `Segment` of
// an x1' with x1's label (a partner drawn in the batch, objectives/partners.hpp; x1 itself
// when no other example has its label). That is what makes `Segment` hold only what the
// label shares, and the rest go to z. Main loss, weight "swap_recon.<Segment>":
//     mean over the batch of −log p(x1 | Dec(z1, s1')),
// with the model's likelihood and reduction, exactly as the ELBO reads its own term.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/objectives/partners.hpp"
#include "latent/objectives/term.hpp"

namespace latent {

template <fixed_string Segment>
struct same_label_reconstruction {
    static constexpr fixed_string segment = Segment;

    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const term_args<T, B>& a)
            : name_("swap_recon." + Segment.str()), weight_(a.options.weight_of(name_, 1.0)) {}

        void add(const forward_pass<T, B>& f, step_losses<T, B>& out) {
            LATENT_CHECK(f.reconstruction_nll != nullptr && f.gen != nullptr, config_error, name_,
                         ": the forward pass carries no likelihood or generator (only training passes do)");
            // Drawn in every turn, so that the terms after this one draw what they would in a full set.
            const partners<T, B> x1_prime = draw_partners(f, *f.gen, partner_kind::same_label);
            if (f.wanted == loss_set::adversaries) return;
            std::vector<var<T, B>> parts = f.samples;
            const std::size_t k = f.layout->index_of(Segment.view());
            parts[k] = x1_prime.of(f.samples[k]);
            const var<T, B> nll = f.reconstruction_nll(concat_features(std::span<const var<T, B>>(parts)));
            out.add_main(name_, mean(nll) * weight_);
        }

        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}

    private:
        std::string name_;
        double weight_;
    };
};

}  // namespace latent
