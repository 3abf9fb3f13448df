// latent/objectives/objective.hpp: how a model turns one batch's parts into its main loss.
//
// The model runs the encoder, draws every segment's sample and decodes it;
// the objective policy then decides how the reconstruction and the latent
// terms combine. The default, `elbo`, is MODELS.md §1–4's:
//   main = w_recon·mean_n(recon) + Σ_blocks w_kl.<b>·mean_n(KL(q(b | ·) ‖ p(b [| y])))
// Semi-supervised objectives (CCVAE, M2, …) weigh the same parts differently
// per example and treat labelled and unlabelled examples apart; they see the
// parts through an `elbo_view`. A model has at most one objective among its
// extras (a type with `is_objective`); without one it uses `elbo`.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/dist/normal.hpp"
#include "latent/objectives/term.hpp"

namespace latent {

/// One batch's parts, as an objective sees them. Per-example values are [n, 1].
template <scalar T, backend B>
struct elbo_view {
    const forward_pass<T, B>& f;
    /// −log p(x | sample) per example, reduced over features as the options say (unweighted).
    var<T, B> recon;
    /// Whether block i has a KL term (a stochastic posterior and a prior with a distribution).
    std::function<bool(std::size_t block)> has_kl;
    /// KL(q(block i | ·) ‖ p(block i | y)) per example, for label values y [n, K] (analytic
    /// where both are Normal, Monte Carlo otherwise). requires: has_kl(i).
    std::function<var<T, B>(std::size_t block, const var<T, B>& y)> kl;
    /// Block i's posterior as a Normal (loc, scale [n, dim]). Throws config_error for a block
    /// whose posterior is not Gaussian.
    std::function<dist::normal<T, B>(std::size_t block)> posterior;
    /// Block i's prior as a Normal for label values y [n, K]. Throws config_error for a block
    /// whose prior gives no distribution.
    std::function<dist::normal<T, B>(std::size_t block, const var<T, B>& y)> prior;
    /// −ELBO per example [n, 1] (recon + Σ_blocks KL, unweighted) of the batch's inputs under
    /// labels y [n, label_width] instead of the batch's own: encoder and decoder run again, with
    /// fresh samples (M2's sum over the labels of an unlabelled example).
    std::function<var<T, B>(const tensor<std::int32_t, B>& y)> neg_elbo_given;
    /// −log p(x | latent) per example [n, 1] for the batch's inputs and a latent [n, total] of the
    /// objective's own (MVAE's product-of-experts samples), reduced like `recon`; differentiable.
    std::function<var<T, B>(const var<T, B>& latent)> recon_of;
};

/// How an objective ties the labels to the latent space; it decides how a trained model reads
/// labels from an input and writes others into it (models/characteristics.hpp). An objective
/// declares it as `static constexpr label_route route`:
///  - characteristic_latent: a segment z_c with a classifier q(y | z_c) and a conditional prior
///    p(z_c | y); labels are changed by moving z_c (CCVAE, modified DIVA)
///  - decoder_input: y is a latent of its own that the encoder and decoder read, q(y | x) a
///    classifier of x; labels are changed by decoding with others (M2)
///  - label_expert: a label expert q(z | y) multiplied into the posterior of one block z, a
///    label decoder p(y | z); labels are changed by swapping the expert's input (MVAE)
enum class label_route { characteristic_latent, decoder_input, label_expert };

/// The per-example losses [n, 1] of an objective that treats labelled and unlabelled examples
/// apart (CCVAE, DIVA, M2, MVAE): a loss of the labelled rows is f.labelled ⊙ loss, one of the
/// unlabelled rows (1 − f.labelled) ⊙ loss. Where the batch has no such row the result is zeros
/// [n, 1] and `loss` is not called (no work, no random draws), so that the objective still adds
/// the piece's batch mean and every batch logs the same pieces.
template <scalar T, backend B, class F>
var<T, B> labelled_rows(const forward_pass<T, B>& f, F&& loss) {
    if (f.labelled_count == 0) return var<T, B>(tensor<T, B>::zeros({f.batch, 1}));
    return f.labelled * loss();
}
template <scalar T, backend B, class F>
var<T, B> unlabelled_rows(const forward_pass<T, B>& f, F&& loss) {
    if (f.all_labelled) return var<T, B>(tensor<T, B>::zeros({f.batch, 1}));
    return (1.0 - f.labelled) * loss();
}
/// (f.labelled ⊙ loss)·α·n/n_labelled: its batch mean is α times the mean of `loss` over the
/// labelled rows, however many there are (M2's and DIVA's classifier terms).
template <scalar T, backend B, class F>
var<T, B> labelled_rows_weighted(const forward_pass<T, B>& f, double alpha, F&& loss) {
    if (f.labelled_count == 0) return var<T, B>(tensor<T, B>::zeros({f.batch, 1}));
    return f.labelled * loss() * (alpha * static_cast<double>(f.batch) / static_cast<double>(f.labelled_count));
}

/// What the model template needs of an objective policy.
template <class X>
concept objective_policy = requires {
    requires X::is_objective;
    typename X::template impl<float, cpu>;
} && std::constructible_from<typename X::template impl<float, cpu>, const term_args<float, cpu>&> &&
                           requires(typename X::template impl<float, cpu>& o, const elbo_view<float, cpu>& v,
                                    step_losses<float, cpu>& out) {
                               o.add(v, out);
                               { X::handles_unlabelled } -> std::convertible_to<bool>;
                           };

/// The ELBO of MODELS.md §1–4 (weights "recon" and "kl.<segment>", default 1). Every label
/// must be visible: a batch with hidden labels is refused by the model.
struct elbo {
    static constexpr bool is_objective = true;
    static constexpr bool handles_unlabelled = false;

    template <scalar T, backend B>
    class impl {
    public:
        explicit impl(const term_args<T, B>& a) : recon_weight_(a.options.weight_of("recon", 1.0)) {
            for (const auto& s : a.layout.segments) kl_weights_.push_back(a.options.weight_of("kl." + s.name, 1.0));
        }
        void add(const elbo_view<T, B>& v, step_losses<T, B>& out) {
            out.add_main("recon", mean(v.recon) * recon_weight_);
            for (std::size_t i = 0; i < kl_weights_.size(); ++i)
                if (v.has_kl(i)) out.add_main("kl." + v.f.layout->segments[i].name, mean(v.kl(i, v.f.y.as_float)) * kl_weights_[i]);
        }
        void for_each_module(const std::function<void(nn::module<T, B>&)>&) {}

    private:
        double recon_weight_;
        std::vector<double> kl_weights_;
    };
};

}  // namespace latent
