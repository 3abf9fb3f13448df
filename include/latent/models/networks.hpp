// latent/models/networks.hpp: ready-made network factories for composed models.
//
// A model asks for a trunk (x → features), one head per block (features [+ y]
// → the block's posterior parameters), a decoder (latent [+ y] → one output
// per feature of x), one network per adversary (segment → label logits) and,
// with a GAN term or an M2 objective, a discriminator or classifier (an example → one logit
// per class, or one).
// `mlp_networks` answers with multilayer perceptrons (points, small images);
// `conv_networks` with the convolutional stacks of nn/builders.hpp (28×28 and
// 64×64 images). A user's own factory is any `networks<T, B>` value.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "latent/nn/activations.hpp"
#include "latent/nn/builders.hpp"
#include "latent/nn/linear.hpp"
#include "latent/nn/sequential.hpp"
#include "latent/objectives/term.hpp"

namespace latent {

namespace detail {
inline std::int64_t product(const std::vector<std::int64_t>& dims) {
    std::int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
}
/// in → hidden… → out, with `act` between layers.
inline std::vector<std::int64_t> widths(std::int64_t in, const std::vector<std::int64_t>& hidden, std::int64_t out) {
    std::vector<std::int64_t> w{in};
    w.insert(w.end(), hidden.begin(), hidden.end());
    w.push_back(out);
    return w;
}
/// The decoder's flat output reshaped to the example's shape (images), or kept flat (points).
template <scalar T, backend B>
void reshape_to_example(nn::sequential<T, B>& net, const std::vector<std::int64_t>& shape) {
    if (shape.size() == 3) net.template add<nn::unflatten<T, B>>(shape[0], shape[1], shape[2]);
}
}  // namespace detail

/// Multilayer perceptrons: the trunk only flattens x, so every head is an MLP
/// of its own over x (and y); decoder and adversaries are MLPs with `hidden`
/// layers (the decoder's reversed).
template <scalar T = float, backend B = cpu>
networks<T, B> mlp_networks(std::vector<std::int64_t> hidden = {64, 64}, nn::activation act = nn::activation::relu) {
    networks<T, B> n;
    n.trunk_width = [](const std::vector<std::int64_t>& shape) { return detail::product(shape); };
    n.make = [hidden, act](const net_request& r, generator& gen) -> std::unique_ptr<nn::module<T, B>> {
        const std::int64_t in = detail::product(r.in_shape), out = detail::product(r.out_shape);
        switch (r.role) {
            case net_role::trunk: return std::make_unique<nn::flatten<T, B>>();
            case net_role::decoder: {
                auto net = nn::mlp<T, B>(detail::widths(in, {hidden.rbegin(), hidden.rend()}, out), gen, act);
                detail::reshape_to_example(*net, r.out_shape);
                return net;
            }
            case net_role::head:
            case net_role::adversary: return nn::mlp<T, B>(detail::widths(in, hidden, out), gen, act);
            case net_role::classifier:
            case net_role::discriminator: {
                auto net = std::make_unique<nn::sequential<T, B>>();
                net->template add<nn::flatten<T, B>>();
                net->push_back(nn::mlp<T, B>(detail::widths(in, hidden, out), gen, act));
                return net;
            }
        }
        throw config_error("mlp_networks: unknown network role");
    };
    return n;
}

/// Convolutional networks for square images: the trunk is `stack`'s encoder
/// (convolutions, then a hidden layer of stack.hidden units with its
/// activation), heads are one linear layer, the decoder is the stack mirrored,
/// adversaries are MLPs with `adversary_hidden` layers, and a discriminator is
/// another encoder of the stack's shape with a linear layer to its logits.
template <scalar T = float, backend B = cpu>
networks<T, B> conv_networks(nn::conv_stack stack, std::vector<std::int64_t> adversary_hidden = {64, 64}) {
    networks<T, B> n;
    n.trunk_width = [stack](const std::vector<std::int64_t>& shape) {
        LATENT_CHECK(shape.size() == 3 && shape[0] == stack.channels && shape[1] == stack.side &&
                         shape[2] == stack.side,
                     config_error, "conv_networks: the stack expects ", stack.channels, "×", stack.side, "×",
                     stack.side, " images");
        return stack.hidden;
    };
    n.make = [stack, adversary_hidden](const net_request& r, generator& gen) -> std::unique_ptr<nn::module<T, B>> {
        const std::int64_t in = detail::product(r.in_shape), out = detail::product(r.out_shape);
        switch (r.role) {
            case net_role::trunk: {
                auto net = nn::conv_encoder<T, B>(stack, stack.hidden, gen);
                net->push_back(nn::make_activation<T, B>(stack.act));
                return net;
            }
            case net_role::head: return std::make_unique<nn::linear<T, B>>(in, out, gen);
            case net_role::decoder: return nn::conv_decoder<T, B>(stack, in, gen);
            case net_role::adversary: return nn::mlp<T, B>(detail::widths(in, adversary_hidden, out), gen);
            case net_role::classifier:
            case net_role::discriminator: {
                auto net = nn::conv_encoder<T, B>(stack, stack.hidden, gen);
                net->push_back(nn::make_activation<T, B>(stack.act));
                net->template add<nn::linear<T, B>>(stack.hidden, out, gen);
                return net;
            }
        }
        throw config_error("conv_networks: unknown network role");
    };
    return n;
}

}  // namespace latent
