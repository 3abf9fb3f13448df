// latent/objectives/term.hpp: what a loss term sees and where it puts its losses.
//
// The model runs the encoder and decoder once per batch (a `forward_pass`),
// then hands it to every term. A term adds weighted pieces to the main loss
// (what the model's optimizer minimises: encoder, decoder, priors) and may
// add a loss of its own parameter group (an adversary's), which the trainer
// minimises with that group's optimizer. A term's own loss must reach only
// its own group: it reads the latents detached.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latent/autograd/ops/reduce.hpp"
#include "latent/core/rng.hpp"
#include "latent/models/options.hpp"
#include "latent/nn/module.hpp"
#include "latent/space/partition.hpp"

namespace latent {

/// What the networks of a model are asked for.
enum class net_role { trunk, head, decoder, adversary, discriminator, classifier };

/// One network the model needs: its role, name (also its parameters' prefix), input and output.
struct net_request {
    net_role role;
    std::string name;                    // "trunk", "head.z", "decoder", "adversary.z", "discriminator"
    std::vector<std::int64_t> in_shape;  // trunk, discriminator, classifier: the example's shape; otherwise {features}
    std::vector<std::int64_t> out_shape; // decoder: the example's shape; otherwise {width}
};

/// Builds the networks of a model: the width a trunk produces for an example
/// shape, and any requested network. See models/networks.hpp for MLP and conv factories.
template <scalar T, backend B>
struct networks {
    std::function<std::int64_t(const std::vector<std::int64_t>& example_shape)> trunk_width;
    std::function<std::unique_ptr<nn::module<T, B>>(const net_request&, generator&)> make;
};

/// The network `request` asks for, from `nets`: its parameters named "<request.name>.…" and in the
/// parameter group `group`. config_error, naming `who` and the network, when the factory gives none.
template <scalar T, backend B>
std::unique_ptr<nn::module<T, B>> make_network(const networks<T, B>& nets, const net_request& request, generator& gen,
                                               const std::string& group, std::string_view who) {
    std::unique_ptr<nn::module<T, B>> m = nets.make(request, gen);
    LATENT_CHECK(m != nullptr, config_error, who, ": the network factory returned no network for \"", request.name,
                 "\"");
    m->prefix_names(request.name + ".");
    m->set_group(group);
    return m;
}

/// The labels of a batch as the model uses them.
template <scalar T, backend B>
struct label_batch {
    tensor<std::int32_t, B> raw;  // [n, L] as the dataset gives them
    var<T, B> as_float;           // [n, K]: the L 0/1 labels, or the class one-hot (K = classes)
    tensor<std::int32_t, B> classes;  // [n] class indices (categorical only)
};

/// Which of a batch's losses are wanted. The alternating trainer steps the model's group on
/// `model`, then the adversaries' groups on `adversaries`; each turn would compute the other's
/// losses for nothing. On `model` a term adds no adversary loss; on `adversaries` the model skips
/// the ELBO and a term may skip its main-loss pieces. A term that skips them still makes the
/// random draws it would make (partners, samples), so that the losses it does give equal those
/// of the full set at the same generator state.
enum class loss_set { all, model, adversaries };

/// One batch through the encoder: every segment's sample, and the labels. In training it also
/// carries the model's decoder and generator, for terms that decode latents of their own (a GAN).
template <scalar T, backend B>
struct forward_pass {
    loss_set wanted = loss_set::all;
    const partition_layout* layout = nullptr;
    var<T, B> x;
    label_batch<T, B> y;
    bool categorical = false;
    std::vector<var<T, B>> samples;  // per segment, in partition order
    std::int64_t batch = 0;
    /// 1 where an example's label is visible, 0 where it is hidden, [n, 1]; hidden labels read as
    /// class 0 (or all-zero binary labels) in `y`, so an objective must mask them itself.
    var<T, B> labelled;
    bool all_labelled = true;
    std::int64_t labelled_count = 0;
    /// The likelihood's mean of the decoder's output for a latent [n, total] (and labels, where the
    /// decoder sees them), in the examples' shape, differentiable.
    std::function<var<T, B>(const var<T, B>& latent, const label_batch<T, B>& y)> decode;
    /// −log p(x | latent) per example [n, 1] for the batch's own x and labels, as the ELBO's
    /// reconstruction term reads it (a term that reconstructs x from another latent).
    std::function<var<T, B>(const var<T, B>& latent)> reconstruction_nll;
    /// Raw labels [n, label_width] as the model uses them (one-hot, class indices).
    std::function<label_batch<T, B>(const tensor<std::int32_t, B>& raw)> labels;
    /// The model's sampling generator (its position is checkpointed with the model).
    generator* gen = nullptr;

    const var<T, B>& sample(std::string_view name) const {
        for (std::size_t i = 0; i < layout->segments.size(); ++i)
            if (layout->segments[i].name == name) return samples[i];
        throw config_error(detail::concat("forward pass: no segment \"", name, "\""));
    }
};

/// The losses of one batch.
template <scalar T, backend B>
struct step_losses {
    struct group_loss {
        std::string group;  // the parameter group its optimizer updates
        var<T, B> loss;
        std::string name;   // its entry in terms
        bool step = true;   // false: the group's optimizer skips this batch (a gated adversary)
    };
    var<T, B> main;                   // minimised by the model's optimizer (group "model")
    bool has_main = false;
    std::vector<group_loss> others;   // one per adversary, each on its own group
    std::vector<std::pair<std::string, double>> terms;  // every weighted piece's batch mean, for logs and NaN checks

    void add_main(const std::string& name, const var<T, B>& piece) {
        main = has_main ? main + piece : piece;
        has_main = true;
        terms.emplace_back(name, static_cast<double>(piece.item()));
    }
    /// `step` false leaves the group's parameters as they are after this batch (its loss is still
    /// reported), e.g. a discriminator that is already accurate enough.
    void add_group(const std::string& group, const std::string& name, const var<T, B>& loss, bool step = true) {
        others.push_back({group, loss, name, step});
        terms.emplace_back(name, static_cast<double>(loss.item()));
    }
};

/// What a term is built from.
template <scalar T, backend B>
struct term_args {
    const partition_layout& layout;
    std::int64_t label_outputs;  // K: classes for one categorical label, or the number of binary labels
    bool categorical;
    const networks<T, B>& nets;
    const model_options& options;
    generator& gen;                           // for initial weights only: a term must not keep it
    std::vector<std::int64_t> example_shape;  // one example's shape (a discriminator's input)
};

/// The parameter group of every model parameter that is not an adversary's.
inline constexpr const char* model_group = "model";

}  // namespace latent
