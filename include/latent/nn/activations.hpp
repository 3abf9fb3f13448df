// latent/nn/activations.hpp: parameter-free layers (activations, reshapes, dropout).
#pragma once

#include <functional>
#include <string>

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/random.hpp"
#include "latent/autograd/ops/shape.hpp"
#include "latent/nn/module.hpp"

namespace latent::nn {

/// A layer that applies one elementwise function; `name` is what describe() prints.
template <scalar T, backend B, class F>
class elementwise : public module<T, B> {
public:
    explicit elementwise(F f = {}, std::string name = F::name) : f_(f), name_(std::move(name)) {}
    var<T, B> forward(const var<T, B>& x) override { return latent::map(x, f_); }
    std::string describe() const override { return name_; }

private:
    F f_;
    std::string name_;
};

template <scalar T = float, backend B = cpu>
struct relu : elementwise<T, B, fn::relu> {
    relu() : elementwise<T, B, fn::relu>({}, "ReLU") {}
};
template <scalar T = float, backend B = cpu>
struct leaky_relu : elementwise<T, B, fn::leaky_relu> {
    explicit leaky_relu(double slope = 0.01)
        : elementwise<T, B, fn::leaky_relu>({slope}, "LeakyReLU(" + std::to_string(slope) + ")") {}
};
template <scalar T = float, backend B = cpu>
struct sigmoid : elementwise<T, B, fn::sigmoid> {
    sigmoid() : elementwise<T, B, fn::sigmoid>({}, "Sigmoid") {}
};
template <scalar T = float, backend B = cpu>
struct tanh : elementwise<T, B, fn::tanh> {
    tanh() : elementwise<T, B, fn::tanh>({}, "Tanh") {}
};
template <scalar T = float, backend B = cpu>
struct softplus : elementwise<T, B, fn::softplus> {
    softplus() : elementwise<T, B, fn::softplus>({}, "Softplus") {}
};

/// [N, ...] → [N, rest], as nn.Flatten.
template <scalar T = float, backend B = cpu>
class flatten : public module<T, B> {
public:
    var<T, B> forward(const var<T, B>& x) override { return latent::flatten(x); }
    std::string describe() const override { return "Flatten"; }
};

/// [N, C·H·W] → [N, C, H, W], as nn.Unflatten.
template <scalar T = float, backend B = cpu>
class unflatten : public module<T, B> {
public:
    unflatten(std::int64_t c, std::int64_t h, std::int64_t w) : c_(c), h_(h), w_(w) {}
    var<T, B> forward(const var<T, B>& x) override {
        LATENT_CHECK(x.cols() == c_ * h_ * w_, shape_error, "Unflatten: input ", x.shape(), " does not hold ", c_, "×",
                     h_, "×", w_, " per row");
        return latent::reshape(x, shape{x.rows(), c_, h_, w_});
    }
    std::string describe() const override {
        return "Unflatten(" + std::to_string(c_) + ", " + std::to_string(h_) + ", " + std::to_string(w_) + ")";
    }

private:
    std::int64_t c_, h_, w_;
};

/// Inverted dropout with probability p while training; the identity in evaluation.
/// The generator is the layer's own copy, seeded at construction.
template <scalar T = float, backend B = cpu>
class dropout : public module<T, B> {
public:
    dropout(double p, generator gen) : p_(p), gen_(gen) {
        LATENT_CHECK(p >= 0 && p <= 1, config_error, "Dropout: p must lie in [0, 1], got ", p);
    }
    var<T, B> forward(const var<T, B>& x) override { return latent::dropout(x, p_, gen_, this->training()); }
    std::string describe() const override { return "Dropout(" + std::to_string(p_) + ")"; }

private:
    double p_;
    generator gen_;
};

}  // namespace latent::nn
