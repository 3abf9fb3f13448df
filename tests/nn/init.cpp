#include <doctest/doctest.h>

#include <latent/nn/init.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

using namespace latent;

namespace {
struct layer_ref {
    std::string name;
    shape weight;
    bool transposed;
    std::int64_t fan_in, fan_out;
    double kaiming_bound, bias_bound, xavier_bound;
    std::int64_t bias_len;
};

// Printed by tests/reference/init_fans.py (/usr/bin/python3, torch 1.13.0a0): PyTorch's
// _calculate_fan_in_and_fan_out, the kaiming_uniform_(a=√5) bound, the bias bound
// 1/√fan_in and the xavier_uniform_ bound for these layers' weights. Note the
// ConvTranspose2d rows: PyTorch's fan_in is weight.size(1)·kh·kw = C_out·kh·kw.
const std::vector<layer_ref> torch_layers = {
    {"Linear(7, 3)", {3, 7}, false, 7, 3, 0.3779644730092272, 0.3779644730092272, 0.7745966692414834, 3},
    {"Linear(784, 400)", {400, 784}, false, 784, 400, 0.035714285714285712, 0.035714285714285712,
     0.071186849681437431, 400},
    {"Conv2d(3, 8, (5, 3))", {8, 3, 5, 3}, false, 45, 120, 0.14907119849998596, 0.14907119849998599,
     0.19069251784911845, 8},
    {"Conv2d(1, 32, 4)", {32, 1, 4, 4}, false, 16, 512, 0.24999999999999997, 0.25, 0.10660035817780522, 32},
    {"ConvTranspose2d(3, 8, (5, 3))", {3, 8, 5, 3}, true, 120, 45, 0.091287092917527679, 0.091287092917527679,
     0.19069251784911845, 8},
    {"ConvTranspose2d(64, 32, 4)", {64, 32, 4, 4}, true, 512, 1024, 0.044194173824159216, 0.044194173824159216,
     0.0625, 32},
};

double max_abs(const std::vector<double>& v) {
    double m = 0;
    for (double x : v) m = std::max(m, std::fabs(x));
    return m;
}
double mean_of(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}
double variance_of(const std::vector<double>& v) {
    const double m = mean_of(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return s / static_cast<double>(v.size() - 1);
}
/// Checks that v looks like U(-b, b): inside the bounds, reaching near them, with variance b²/3.
void check_symmetric_uniform(const std::vector<double>& v, double b) {
    const double n = static_cast<double>(v.size());
    CHECK(max_abs(v) <= b);
    CHECK(max_abs(v) > b * (1 - 20 / n));  // the largest of n draws is within ~b/n of b
    // standard errors: mean b/√(3n); variance √(Var(x²)/n) with Var(x²) = 4b⁴/45
    CHECK(std::fabs(mean_of(v)) < 5 * b / std::sqrt(3 * n));
    CHECK(std::fabs(variance_of(v) - b * b / 3) < 5 * std::sqrt(4.0 / 45) * b * b / std::sqrt(n));
}
}  // namespace

TEST_CASE("init: fans match PyTorch for Linear, Conv2d and ConvTranspose2d weights") {
    for (const auto& l : torch_layers) {
        CAPTURE(l.name);
        const fans f = fan_in_out(l.weight, l.transposed);
        CHECK(f.fan_in == l.fan_in);
        CHECK(f.fan_out == l.fan_out);
    }
    CHECK_THROWS_AS(fan_in_out(shape{5}), shape_error);
    CHECK_THROWS_AS(fan_in_out(shape{}), shape_error);
    CHECK_THROWS_AS(fan_in_out(shape{3, 4}, true), shape_error);
}

TEST_CASE("init: layer defaults reproduce PyTorch's bounds and draw weight then bias") {
    generator gen(1);
    for (const auto& l : torch_layers) {
        CAPTURE(l.name);
        auto w = tensor<double>::empty(l.weight);
        auto b = tensor<double>::empty({l.bias_len});
        const generator before = gen;
        if (l.weight.rank() == 2) linear_default_init(w, &b, gen);
        else conv_default_init(w, &b, gen, l.transposed);
        CHECK(gen.offset() == before.offset() + static_cast<std::uint64_t>(w.numel() + b.numel()));
        const auto wv = w.to_vector(), bv = b.to_vector();
        CHECK(max_abs(wv) <= l.kaiming_bound * (1 + 1e-15));
        CHECK(max_abs(bv) <= l.bias_bound * (1 + 1e-15));
        if (w.numel() >= 500) check_symmetric_uniform(wv, l.kaiming_bound * (1 + 1e-15));
        // the bias comes from the counters right after the weight's
        generator after_weight = before;
        after_weight.take(static_cast<std::uint64_t>(w.numel()));
        auto expect = tensor<double>::empty({l.bias_len});
        uniform_(expect, after_weight, -1 / std::sqrt(double(l.fan_in)), 1 / std::sqrt(double(l.fan_in)));
        CHECK(bv == expect.to_vector());
    }
}

TEST_CASE("init: layer defaults without a bias, in float, and with bad bias shapes") {
    generator gen(2);
    auto w = tensor<float>::empty({16, 8});
    linear_default_init(w, nullptr, gen);
    CHECK(gen.offset() == 128);
    const auto wf = w.to_vector();
    CHECK(std::ranges::all_of(wf, [](float x) { return std::fabs(x) <= static_cast<float>(1 / std::sqrt(8.0)); }));
    auto bad = tensor<float>::empty({15});
    CHECK_THROWS_AS(linear_default_init(w, &bad, gen), shape_error);
    auto conv = tensor<float>::empty({4, 6, 3, 3});
    auto b6 = tensor<float>::empty({6}), b4 = tensor<float>::empty({4});
    CHECK_THROWS_AS(conv_default_init(conv, &b6, gen, false), shape_error);  // Conv2d: bias of C_out = 4
    CHECK_THROWS_AS(conv_default_init(conv, &b4, gen, true), shape_error);   // transposed: C_out = dim 1 = 6
    CHECK_NOTHROW(conv_default_init(conv, &b4, gen, false));
    CHECK_NOTHROW(conv_default_init(conv, &b6, gen, true));
    CHECK_THROWS_AS(conv_default_init(w, nullptr, gen, false), shape_error);  // rank 2 is no conv weight
}

TEST_CASE("init: kaiming_uniform_ bound gain·√(3/fan_in) with gain √(2/(1+a²))") {
    generator gen(3);
    auto w = tensor<double>::empty({200, 500});
    // a = 0 (ReLU): bound √(6/fan_in)
    kaiming_uniform_(w, 150, gen, 0.0);
    check_symmetric_uniform(w.to_vector(), std::sqrt(6.0 / 150));
    // a = 0.2 (leaky ReLU): √(2/1.04)·√(3/150)
    kaiming_uniform_(w, 150, gen, 0.2);
    check_symmetric_uniform(w.to_vector(), std::sqrt(2 / 1.04) * std::sqrt(3.0 / 150) * (1 + 1e-15));
    // default a = √5: bound 1/√fan_in
    kaiming_uniform_(w, 64, gen);
    check_symmetric_uniform(w.to_vector(), 0.125 * (1 + 1e-15));
    CHECK_THROWS_AS(kaiming_uniform_(w, 0, gen), config_error);
    auto empty = tensor<double>::empty({0, 5});
    CHECK_NOTHROW(kaiming_uniform_(empty, 0, gen));  // PyTorch skips empty tensors
}

TEST_CASE("init: xavier_uniform_ bound gain·√(6/(fan_in + fan_out))") {
    generator gen(4);
    for (const auto& l : torch_layers) {
        if (l.weight.numel() < 1000) continue;
        CAPTURE(l.name);
        auto w = tensor<double>::empty(l.weight);
        xavier_uniform_(w, gen);
        check_symmetric_uniform(w.to_vector(), l.xavier_bound * (1 + 1e-15));
    }
    auto w = tensor<double>::empty({300, 100});
    xavier_uniform_(w, gen, 2.0);
    check_symmetric_uniform(w.to_vector(), 2 * std::sqrt(6.0 / 400) * (1 + 1e-15));
    auto vec = tensor<double>::empty({10});
    CHECK_THROWS_AS(xavier_uniform_(vec, gen), shape_error);
}

TEST_CASE("init: uniform_init, normal_init and zeros") {
    generator gen(5);
    auto w = tensor<double>::empty({100000});
    uniform_init(w, gen, -0.5, 0.5);
    check_symmetric_uniform(w.to_vector(), 0.5);
    normal_init(w, gen, 0.0, 0.02);
    const auto v = w.to_vector();
    const double n = static_cast<double>(v.size()), s = 0.02;
    CHECK(std::fabs(mean_of(v)) < 5 * s / std::sqrt(n));
    CHECK(std::fabs(variance_of(v) - s * s) < 5 * s * s * std::sqrt(2 / n));
    const std::uint64_t offset = gen.offset();
    zeros(w);
    CHECK(gen.offset() == offset);
    CHECK(std::ranges::all_of(w.to_vector(), [](double x) { return x == 0; }));
    CHECK_THROWS_AS(normal_init(w, gen, 0.0, -1.0), config_error);
    CHECK_THROWS_AS(uniform_init(w, gen, 1.0, -1.0), config_error);
}
