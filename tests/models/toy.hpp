// Tiny models whose weights the tests fix, and the plain double arithmetic that redoes them by
// hand: the loss tests of tests/models/ compute every expected value with these, outside the
// code under test.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "latent/models/model.hpp"
#include "latent/nn/activations.hpp"
#include "latent/nn/linear.hpp"
#include "latent/tensor/random.hpp"

namespace toy {

using namespace latent;
using vec = std::vector<double>;


/// Networks of single linear layers (no hidden layer), so that the test can redo them by hand.
inline networks<double, cpu> linear_networks() {
    networks<double, cpu> n;
    n.trunk_width = [](const std::vector<std::int64_t>& shape) {
        std::int64_t f = 1;
        for (auto d : shape) f *= d;
        return f;
    };
    n.make = [](const net_request& r, generator& gen) -> std::unique_ptr<nn::module<double, cpu>> {
        std::int64_t in = 1, out = 1;
        for (auto d : r.in_shape) in *= d;
        for (auto d : r.out_shape) out *= d;
        if (r.role == net_role::trunk) return std::make_unique<nn::flatten<double, cpu>>();
        return std::make_unique<nn::linear<double, cpu>>(in, out, gen);
    };
    return n;
}

/// Sets every parameter to fixed values, 0.1·(k + 1)·(−1)^(k + p) for element k of parameter p,
/// and returns them by name (row-major, PyTorch's [out, in] for weights).
template <class M>
std::map<std::string, vec> fix_weights(M& m) {
    std::map<std::string, vec> out;
    int p = 0;
    for (auto* param : m.parameters()) {
        vec v(static_cast<std::size_t>(param->numel()));
        for (std::size_t k = 0; k < v.size(); ++k) v[k] = 0.1 * double(k + 1) * (((k + p) % 2) ? -1.0 : 1.0) / double(1 + p % 3);
        param->value().copy_(tensor<double, cpu>::from_host(param->shape(), v));
        out[param->name()] = v;
        ++p;
    }
    return out;
}

/// y = W x + b for one example.
inline vec affine(const vec& w, const vec& b, const vec& x) {
    vec y(b);
    for (std::size_t o = 0; o < b.size(); ++o)
        for (std::size_t i = 0; i < x.size(); ++i) y[o] += w[o * x.size() + i] * x[i];
    return y;
}
inline double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }
inline double scale_of(double raw) { return std::max(softplus(raw), 1e-3); }
inline double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }
inline double kl_normal(double mq, double sq, double mp, double sp) {
    return std::log(sp / sq) + (sq * sq + (mq - mp) * (mq - mp)) / (2 * sp * sp) - 0.5;
}
inline double term(const step_losses<double, cpu>& l, const std::string& name) {
    for (const auto& [n, v] : l.terms)
        if (n == name) return v;
    FAIL("no term " << name);
    return 0;
}
/// The standard normals the model will draw: `count` blocks of n values, in order.
inline std::vector<vec> normals(generator gen, std::int64_t n, int count) {
    std::vector<vec> out;
    for (int c = 0; c < count; ++c) {
        auto t = tensor<double, cpu>::zeros({n, 1});
        normal_(t, gen);
        out.push_back(t.to_vector());
    }
    return out;
}

/// Checks the autograd gradient of `loss().main` for every parameter in `params` (loss() returns
/// step_losses and must draw the same noise each call) against central differences of it;
/// returns each parameter's largest gradient, so that a caller can check the comparison meant
/// something.
template <class F>
std::map<std::string, double> check_gradient_of(const std::vector<parameter<double, cpu>*>& params, F loss) {
    const auto l = loss();
    for (auto* p : params) p->zero_grad();
    backward(l.main);
    const double h = 1e-6;
    std::map<std::string, double> largest;
    for (auto* p : params) {
        const vec g = p->grad().to_vector();
        const vec base = p->value().to_vector();
        for (std::size_t k = 0; k < base.size(); ++k) {
            vec v = base;
            v[k] = base[k] + h;
            p->value().copy_(tensor<double, cpu>::from_host(p->shape(), v));
            const double up = loss().main.item();
            v[k] = base[k] - h;
            p->value().copy_(tensor<double, cpu>::from_host(p->shape(), v));
            const double down = loss().main.item();
            p->value().copy_(tensor<double, cpu>::from_host(p->shape(), base));
            INFO(p->name() << "[" << k << "]");
            CHECK(g[k] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-6).scale(1));
            largest[p->name()] = std::max(largest[p->name()], std::abs(g[k]));
        }
    }
    return largest;
}

/// check_gradient_of every parameter of model `m`.
template <class M, class F>
std::map<std::string, double> check_gradient(M& m, F loss) {
    return check_gradient_of(m.parameters(), loss);
}

}  // namespace toy
