// latent/nn/init.hpp: weight initialisers, with PyTorch's defaults for its layers.
//
// Each initialiser fills a tensor in place from a generator (tensor/random.hpp).
// The formulas are those of torch/nn/init.py and of reset_parameters() in
// torch/nn/modules/{linear,conv}.py (torch 1.13), so that a latent layer starts
// from the same DISTRIBUTION as its PyTorch twin; the numbers themselves differ
// (PyTorch draws from its own generator).
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "latent/tensor/random.hpp"

namespace latent {

/// The fans of a weight tensor, as torch.nn.init._calculate_fan_in_and_fan_out.
struct fans {
    std::int64_t fan_in;
    std::int64_t fan_out;
};

/// Fans of a weight of shape s: with rf = Π s[2:] (the receptive field, 1 for a matrix),
///   fan_in = s[1]·rf,  fan_out = s[0]·rf.
/// That is (in, out) for Linear [out, in] and (C·kh·kw, O·kh·kw) for Conv2d [O, C, kh, kw].
/// For ConvTranspose2d, whose weight is [C_in, C_out, kh, kw] (`transposed_conv`),
/// PyTorch applies the same formula, so fan_in = C_out·kh·kw and fan_out = C_in·kh·kw:
/// the fans of the forward convolution the transposed one is the gradient of.
/// We keep that, so that transposed layers start as in PyTorch; the flag changes
/// no number and only requires a convolution weight (rank ≥ 3).
/// requires: rank ≥ 2, rank ≥ 3 when transposed_conv (shape_error otherwise).
inline fans fan_in_out(const shape& s, bool transposed_conv = false) {
    LATENT_CHECK(s.rank() >= 2, shape_error, "fan_in_out: weight ", s,
                 " has fewer than 2 dimensions, so fans are not defined");
    LATENT_CHECK(!transposed_conv || s.rank() >= 3, shape_error, "fan_in_out: transposed convolution weight ", s,
                 " must be [C_in, C_out, kernel...]");
    std::int64_t receptive = 1;
    for (int a = 2; a < s.rank(); ++a) receptive *= s[a];
    return fans{s[1] * receptive, s[0] * receptive};
}

/// Fills w with U[lo, hi) (nn.init.uniform_). requires: lo ≤ hi.
template <scalar T, backend B>
void uniform_init(tensor<T, B>& w, generator& gen, double lo, double hi) {
    uniform_(w, gen, lo, hi);
}

/// Fills w with N(mean, std²) (nn.init.normal_). requires: std ≥ 0.
template <scalar T, backend B>
void normal_init(tensor<T, B>& w, generator& gen, double mean, double std) {
    normal_(w, gen, mean, std);
}

/// Sets every element of w to zero (nn.init.zeros_). Draws nothing.
template <element T, backend B>
void zeros(tensor<T, B>& w) {
    w.fill_(T(0));
}

/// He (Kaiming) uniform for a layer followed by a leaky ReLU of slope a
/// (nn.init.kaiming_uniform_ with mode='fan_in'):
///   w ~ U(-bound, bound),  bound = gain·√(3 / fan_in),  gain = √(2 / (1 + a²)).
/// The default a = √5 is what PyTorch's Linear and Conv layers use: bound = 1/√fan_in.
/// requires: fan_in > 0 unless w is empty (PyTorch skips empty tensors); a finite.
template <scalar T, backend B>
void kaiming_uniform_(tensor<T, B>& w, std::int64_t fan_in, generator& gen, double a = std::sqrt(5.0)) {
    if (w.numel() == 0) return;
    LATENT_CHECK(fan_in > 0, config_error, "kaiming_uniform_: fan_in ", fan_in, " must be positive for weight ",
                 w.shape());
    LATENT_CHECK(std::isfinite(a), config_error, "kaiming_uniform_: negative slope ", a, " must be finite");
    const double gain = std::sqrt(2.0 / (1.0 + a * a));
    const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in));
    uniform_(w, gen, -bound, bound);
}

/// Glorot (Xavier) uniform (nn.init.xavier_uniform_), fans from fan_in_out(w.shape()):
///   w ~ U(-bound, bound),  bound = gain·√(6 / (fan_in + fan_out)).
/// requires: rank ≥ 2; a non-empty w has fan_in + fan_out > 0.
template <scalar T, backend B>
void xavier_uniform_(tensor<T, B>& w, generator& gen, double gain = 1.0) {
    const fans f = fan_in_out(w.shape());
    if (w.numel() == 0) return;
    const double bound = gain * std::sqrt(6.0 / static_cast<double>(f.fan_in + f.fan_out));
    uniform_(w, gen, -bound, bound);
}

namespace detail {
/// PyTorch's reset_parameters() for a weight and its bias, given the weight's fan_in:
/// weight by kaiming_uniform_(a = √5), then bias ~ U(-1/√fan_in, 1/√fan_in)
/// (zeros when fan_in = 0, which Linear does and Conv leaves unset).
template <scalar T, backend B>
void torch_default_init(tensor<T, B>& w, tensor<T, B>* b, std::int64_t fan_in, generator& gen) {
    kaiming_uniform_(w, fan_in, gen);
    if (b == nullptr) return;
    if (fan_in <= 0) {
        zeros(*b);
        return;
    }
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    uniform_(*b, gen, -bound, bound);
}
}  // namespace detail

/// nn.Linear's reset_parameters(): w [out, in] ~ U(±1/√in), b [out] ~ U(±1/√in),
/// the weight drawn first. b = nullptr means the layer has no bias.
/// requires: w of rank 2, *b of `out` elements (shape_error).
template <scalar T, backend B>
void linear_default_init(tensor<T, B>& w, std::type_identity_t<tensor<T, B>>* b, generator& gen) {
    LATENT_CHECK(w.rank() == 2, shape_error, "linear_default_init: weight ", w.shape(), " must be [out, in]");
    LATENT_CHECK(b == nullptr || b->numel() == w.dim(0), shape_error, "linear_default_init: bias ", b->shape(),
                 " for weight ", w.shape(), " must hold ", w.dim(0), " values");
    detail::torch_default_init(w, b, fan_in_out(w.shape()).fan_in, gen);
}

/// nn.Conv2d's (transposed = false, w [O, C, kh, kw]) or nn.ConvTranspose2d's
/// (transposed = true, w [C, O, kh, kw]) reset_parameters(): with
/// fan_in = w.dim(1)·kh·kw (PyTorch's formula in both cases, see fan_in_out),
/// w ~ U(±1/√fan_in) and b [O] ~ U(±1/√fan_in), the weight drawn first.
/// b = nullptr means no bias. Rank 3 (1-d convolutions) works the same way.
/// requires: w of rank 3 or 4; *b of O elements (shape_error).
template <scalar T, backend B>
void conv_default_init(tensor<T, B>& w, std::type_identity_t<tensor<T, B>>* b, generator& gen, bool transposed) {
    LATENT_CHECK(w.rank() >= 3, shape_error, "conv_default_init: weight ", w.shape(), " must be ",
                 transposed ? "[C_in, C_out, kh, kw]" : "[C_out, C_in, kh, kw]");
    const std::int64_t out_channels = transposed ? w.dim(1) : w.dim(0);
    LATENT_CHECK(b == nullptr || b->numel() == out_channels, shape_error, "conv_default_init: bias ", b->shape(),
                 " for ", transposed ? "transposed " : "", "weight ", w.shape(), " must hold ", out_channels,
                 " values");
    detail::torch_default_init(w, b, fan_in_out(w.shape(), transposed).fan_in, gen);
}

}  // namespace latent
