// latent/nn/builders.hpp: the networks the papers use, built at run time.
//
//  - mlp: Linear layers with an activation between them.
//  - conv_encoder / conv_decoder: stacks of 4×4 stride-2 convolutions (Higgins
//    et al.'s β-VAE and DCGAN style) for square images whose side halves
//    cleanly once per convolution: 28 → 14 → 7 with two, 64 → 32 → 16 → 8 → 4
//    with four.
#pragma once

#include <memory>
#include <vector>

#include "latent/nn/activations.hpp"
#include "latent/nn/batchnorm.hpp"
#include "latent/nn/conv.hpp"
#include "latent/nn/linear.hpp"
#include "latent/nn/sequential.hpp"

namespace latent::nn {

enum class activation { relu, leaky_relu, tanh, softplus, sigmoid };

template <scalar T = float, backend B = cpu>
std::unique_ptr<module<T, B>> make_activation(activation a) {
    switch (a) {
        case activation::relu: return std::make_unique<relu<T, B>>();
        case activation::leaky_relu: return std::make_unique<leaky_relu<T, B>>(0.2);
        case activation::tanh: return std::make_unique<tanh<T, B>>();
        case activation::softplus: return std::make_unique<softplus<T, B>>();
        case activation::sigmoid: return std::make_unique<sigmoid<T, B>>();
    }
    throw config_error("make_activation: unknown activation");
}

/// Linear layers through `widths` (at least input and output), `act` between
/// them and none after the last: mlp({784, 256, 10}) is 784→256→act→10.
template <scalar T = float, backend B = cpu>
std::unique_ptr<sequential<T, B>> mlp(const std::vector<std::int64_t>& widths, generator& gen,
                                      activation act = activation::relu) {
    LATENT_CHECK(widths.size() >= 2, config_error, "mlp: needs at least an input and an output width, got ",
                 widths.size(), " widths");
    auto net = std::make_unique<sequential<T, B>>();
    for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
        net->template add<linear<T, B>>(widths[i], widths[i + 1], gen);
        if (i + 2 < widths.size()) net->push_back(make_activation<T, B>(act));
    }
    return net;
}

/// The shape of a convolutional stack: image [channels, side, side], one
/// 4×4 stride-2 convolution per entry of `filters`, then a hidden Linear layer.
struct conv_stack {
    std::int64_t channels = 1;
    std::int64_t side = 28;
    std::vector<std::int64_t> filters = {32, 64};
    std::int64_t hidden = 256;
    bool batch_norm = false;  // BatchNorm2d after each convolution but the decoder's last (DCGAN)
    activation act = activation::relu;

    /// Side of the feature map after the convolutions; throws config_error when `side` does not halve cleanly.
    std::int64_t final_side() const {
        std::int64_t s = side;
        for (std::size_t i = 0; i < filters.size(); ++i) {
            LATENT_CHECK(s % 2 == 0 && s >= 2, config_error, "conv_stack: side ", side, " does not halve ",
                         filters.size(), " times");
            s /= 2;
        }
        return s;
    }
    std::int64_t flat_features() const {
        const std::int64_t s = final_side();
        return filters.back() * s * s;
    }
};

/// The stacks of the papers: 28×28 (MNIST, Fashion-MNIST) and 64×64 (dSprites, CelebA; Higgins et al.).
inline conv_stack conv_stack_28(std::int64_t channels = 1) { return {channels, 28, {32, 64}, 256}; }
inline conv_stack conv_stack_64(std::int64_t channels = 1) { return {channels, 64, {32, 32, 64, 64}, 256}; }

/// Image [N, C, side, side] → [N, out]: convolutions with `act`, flatten, Linear(hidden), act, Linear(out).
template <scalar T = float, backend B = cpu>
std::unique_ptr<sequential<T, B>> conv_encoder(const conv_stack& stack, std::int64_t out, generator& gen) {
    LATENT_CHECK(!stack.filters.empty(), config_error, "conv_encoder: no convolutions");
    const std::int64_t flat = stack.flat_features();
    auto net = std::make_unique<sequential<T, B>>();
    std::int64_t in = stack.channels;
    for (std::int64_t f : stack.filters) {
        net->template add<conv2d<T, B>>(in, f, 4, conv2d_options{.stride = 2, .padding = 1}, gen);
        if (stack.batch_norm) net->template add<batch_norm2d<T, B>>(f);
        net->push_back(make_activation<T, B>(stack.act));
        in = f;
    }
    net->template add<flatten<T, B>>();
    net->template add<linear<T, B>>(flat, stack.hidden, gen);
    net->push_back(make_activation<T, B>(stack.act));
    net->template add<linear<T, B>>(stack.hidden, out, gen);
    return net;
}

/// [N, in] → image logits [N, C, side, side]: the encoder mirrored, no activation at the end.
template <scalar T = float, backend B = cpu>
std::unique_ptr<sequential<T, B>> conv_decoder(const conv_stack& stack, std::int64_t in, generator& gen) {
    LATENT_CHECK(!stack.filters.empty(), config_error, "conv_decoder: no convolutions");
    const std::int64_t s = stack.final_side(), flat = stack.flat_features();
    auto net = std::make_unique<sequential<T, B>>();
    net->template add<linear<T, B>>(in, stack.hidden, gen);
    net->push_back(make_activation<T, B>(stack.act));
    net->template add<linear<T, B>>(stack.hidden, flat, gen);
    net->push_back(make_activation<T, B>(stack.act));
    net->template add<unflatten<T, B>>(stack.filters.back(), s, s);
    for (std::size_t i = stack.filters.size(); i-- > 0;) {
        const std::int64_t from = stack.filters[i], to = i > 0 ? stack.filters[i - 1] : stack.channels;
        net->template add<conv_transpose2d<T, B>>(from, to, 4, conv_transpose2d_options{.stride = 2, .padding = 1}, gen);
        if (i > 0) {
            if (stack.batch_norm) net->template add<batch_norm2d<T, B>>(to);
            net->push_back(make_activation<T, B>(stack.act));
        }
    }
    return net;
}

}  // namespace latent::nn
