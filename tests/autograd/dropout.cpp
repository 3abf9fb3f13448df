#include <doctest/doctest.h>

#include <latent/autograd/ops/random.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <algorithm>
#include <cmath>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

TEST_CASE("dropout: mask statistics and inverted scaling") {
    const std::int64_t n = 100000;
    const double p = 0.3;
    generator gen(1);
    const auto y = dropout(V(tensor<double>::ones({n})), p, gen, true).value().to_vector();
    CHECK(gen.offset() == static_cast<std::uint64_t>(n));
    const double scale = 1 / (1 - p);
    double dropped = 0, total = 0;
    std::int64_t other = 0;  // values that are neither 0 nor 1/(1-p)
    for (double v : y) {
        dropped += v == 0;
        other += v != 0 && v != scale;
        total += v;
    }
    CHECK(other == 0);
    CHECK(std::fabs(dropped / n - p) < 5 * std::sqrt(p * (1 - p) / n));
    // E[y] = x = 1: the mean's standard error is scale·√(p(1-p)/n)
    CHECK(std::fabs(total / n - 1) < 5 * scale * std::sqrt(p * (1 - p) / n));
}

TEST_CASE("dropout: kept elements are the input scaled, for float too") {
    generator gen(2);
    const auto x = tensor<float>::from_host({2, 4}, {1, -2, 3, -4, 5, -6, 7, -8});
    const auto y = dropout(var<float>(x), 0.5, gen, true).value().to_vector();
    const auto xv = x.to_vector();
    int kept = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        CHECK((y[i] == 0.0f || y[i] == xv[i] * 2.0f));
        kept += y[i] != 0;
    }
    CHECK(kept > 0);
    CHECK(kept < 8);  // with this seed, some of each (a fixed outcome, not a statistical claim)
}

TEST_CASE("dropout: identity in eval mode and for p = 0, drawing nothing") {
    generator gen(3);
    const auto x = uniform_tensor({3, 5}, 4);
    const V v(x);
    for (auto [p, training] : {std::pair{0.5, false}, std::pair{0.0, true}, std::pair{1.0, false}}) {
        const V y = dropout(v, p, gen, training);
        CHECK(y.value().shares_storage_with(x));
        CHECK(y.value().to_vector() == x.to_vector());
    }
    CHECK(gen.offset() == 0);
    // the gradient passes unchanged
    parameter<double> w("w", x.clone());
    backward(sum(dropout(w.as_var(), 0.5, gen, false) * 3.0));
    CHECK(std::ranges::all_of(w.grad().to_vector(), [](double g) { return g == 3.0; }));
}

TEST_CASE("dropout: p = 1 gives zeros and a zero gradient") {
    generator gen(4);
    parameter<double> w("w", uniform_tensor({2, 3}, 5));
    const V y = dropout(w.as_var(), 1.0, gen, true);
    CHECK(std::ranges::all_of(y.value().to_vector(), [](double v) { return v == 0; }));
    backward(sum(y * 2.0));
    CHECK(std::ranges::all_of(w.grad().to_vector(), [](double g) { return g == 0; }));
}

TEST_CASE("dropout: the backward uses the forward's mask") {
    generator gen(5);
    // positive inputs, so a dropped element is exactly one with y = 0
    parameter<double> w("w", uniform_tensor({4, 25}, 6, 0.5, 2.0));
    const V y = dropout(w.as_var(), 0.4, gen, true);
    const auto yv = y.value().to_vector();
    // move the generator on before backward: the gradient must not depend on it any more
    gen.take(1000);
    backward(sum(y * 2.0));
    const auto g = w.grad().to_vector();
    std::int64_t wrong = 0;
    for (std::size_t i = 0; i < g.size(); ++i) wrong += g[i] != (yv[i] == 0 ? 0.0 : 2.0 / 0.6);
    CHECK(wrong == 0);
}

TEST_CASE("dropout: the same generator state gives the same mask") {
    generator a(6, 1, 10), b = a;
    const V x(uniform_tensor({8, 8}, 7, 0.5, 1.0));
    CHECK(dropout(x, 0.5, a, true).value().to_vector() == dropout(x, 0.5, b, true).value().to_vector());
    // and the next call a different one
    generator fresh(6, 1, 10);
    CHECK(dropout(x, 0.5, a, true).value().to_vector() != dropout(x, 0.5, fresh, true).value().to_vector());
}

TEST_CASE("dropout: gradient check with a fixed mask") {
    const generator fixed(7);
    for (double p : {0.2, 0.5, 0.9}) {
        CAPTURE(p);
        // each evaluation copies the generator, so every one sees the same mask
        auto r = gradcheck<double, cpu>(
            [&](const Vs& v) {
                generator g = fixed;
                return dropout(v[0], p, g, true);
            },
            {uniform_tensor({3, 7}, 8)});
        INFO(r.report);
        CHECK(r.ok);
    }
}

TEST_CASE("dropout: a probability outside [0, 1] is a config_error") {
    generator gen(8);
    const V x(tensor<double>::ones({3}));
    CHECK_THROWS_WITH_AS(dropout(x, -0.1, gen, true), "dropout: probability -0.1 outside [0, 1]", config_error);
    CHECK_THROWS_AS(dropout(x, 1.5, gen, true), config_error);
    CHECK_THROWS_AS(dropout(x, std::nan(""), gen, true), config_error);
    CHECK_THROWS_AS(dropout(x, 1.5, gen, false), config_error);  // checked in eval mode too
}
