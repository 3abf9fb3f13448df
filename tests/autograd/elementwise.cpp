#include <doctest/doctest.h>

#include <latent/autograd/ops/elementwise.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {
/// Checks the gradient of a unary op on inputs drawn from [lo, hi].
template <class Op>
void check_unary(Op op, double lo = -2, double hi = 2) {
    auto r = gradcheck<double, cpu>([&](const Vs& v) { return op(v[0]); }, {uniform_tensor({3, 5}, 7, lo, hi)});
    INFO(r.report);
    CHECK(r.ok);
}
}  // namespace

TEST_CASE("elementwise: forward values against the C library") {
    auto x = tensor<double>::from_host({4}, {-3.0, -0.5, 0.25, 40.0});
    auto values = [](const V& v) { return v.value().to_vector(); };
    const V v(x);
    const auto in = x.to_vector();
    for (std::size_t i = 0; i < in.size(); ++i) {
        CHECK(values(exp(v))[i] == doctest::Approx(std::exp(in[i])));
        CHECK(values(softplus(v))[i] == doctest::Approx(std::log1p(std::exp(in[i]))));
        CHECK(values(sigmoid(v))[i] == doctest::Approx(1 / (1 + std::exp(-in[i]))));
        CHECK(values(log_sigmoid(v))[i] == doctest::Approx(-std::log1p(std::exp(-in[i]))));
        CHECK(values(tanh(v))[i] == doctest::Approx(std::tanh(in[i])));
        CHECK(values(relu(v))[i] == (in[i] > 0 ? in[i] : 0));
        CHECK(values(leaky_relu(v, 0.2))[i] == doctest::Approx(in[i] > 0 ? in[i] : 0.2 * in[i]));
        CHECK(values(abs(v))[i] == std::fabs(in[i]));
        CHECK(values(clamp(v, -1, 1))[i] == std::fmin(1, std::fmax(-1, in[i])));
    }
}

TEST_CASE("elementwise: softplus and log-sigmoid stay finite far from zero") {
    const V v(tensor<float>::from_host({2}, {-200.f, 200.f}).as<double>());
    CHECK(softplus(v).value().to_vector() == std::vector<double>{std::log1p(std::exp(-200.0)), 200.0});
    const auto ls = log_sigmoid(v).value().to_vector();
    CHECK(ls[0] == doctest::Approx(-200.0));
    CHECK(ls[1] == doctest::Approx(0.0));
}

TEST_CASE("elementwise: gradients of unary ops") {
    check_unary([](const V& x) { return neg(x); });
    check_unary([](const V& x) { return exp(x); });
    check_unary([](const V& x) { return log(x); }, 0.2, 3);
    check_unary([](const V& x) { return log1p(x); }, -0.5, 3);
    check_unary([](const V& x) { return softplus(x); }, -6, 6);
    check_unary([](const V& x) { return sigmoid(x); }, -6, 6);
    check_unary([](const V& x) { return log_sigmoid(x); }, -6, 6);
    check_unary([](const V& x) { return tanh(x); });
    check_unary([](const V& x) { return relu(x); });
    check_unary([](const V& x) { return leaky_relu(x, 0.1); });
    check_unary([](const V& x) { return square(x); });
    check_unary([](const V& x) { return sqrt(x); }, 0.2, 3);
    check_unary([](const V& x) { return abs(x); });
    check_unary([](const V& x) { return clamp(x, -0.5, 0.7); });
    check_unary([](const V& x) { return pow(x, 3.0); });
    check_unary([](const V& x) { return 2.0 * x + 1.0; });
    check_unary([](const V& x) { return 3.0 - x / 4.0; });
    check_unary([](const V& x) { return 2.0 / x; }, 0.5, 2);
}

TEST_CASE("elementwise: binary ops broadcast and their gradients sum back") {
    const std::vector<std::pair<latent::shape, latent::shape>> cases = {
        {{3, 4}, {3, 4}},        // same
        {{3, 4}, {4}},           // bias row
        {{3, 4}, {1, 4}},        // bias row, rank 2
        {{3, 4}, {3, 1}},        // per-row value
        {{3, 4}, {}},            // scalar
        {{2, 3, 4}, {3, 1}},     // general
        {{1, 4}, {3, 1}},        // both stretch
        {{2, 1, 4}, {1, 3, 1}},  // both stretch, rank 3
    };
    for (const auto& [sa, sb] : cases) {
        INFO("shapes ", sa, " and ", sb);
        const auto a = uniform_tensor(sa, 1, 0.5, 2), b = uniform_tensor(sb, 2, 0.5, 2);
        for (auto r : {gradcheck<double, cpu>([](const Vs& v) { return v[0] + v[1]; }, {a, b}),
                       gradcheck<double, cpu>([](const Vs& v) { return v[0] - v[1]; }, {a, b}),
                       gradcheck<double, cpu>([](const Vs& v) { return v[0] * v[1]; }, {a, b}),
                       gradcheck<double, cpu>([](const Vs& v) { return v[0] / v[1]; }, {a, b}),
                       gradcheck<double, cpu>([](const Vs& v) { return v[1] / v[0]; }, {a, b})}) {
            INFO(r.report);
            CHECK(r.ok);
        }
    }
}

TEST_CASE("elementwise: broadcast values match a naive loop") {
    const auto a = uniform_tensor({2, 3, 4}, 3), b = uniform_tensor({3, 1}, 4);
    const auto y = (V(a) * V(b)).value().to_vector();
    const auto av = a.to_vector(), bv = b.to_vector();
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 4; ++k) CHECK(y[(i * 3 + j) * 4 + k] == av[(i * 3 + j) * 4 + k] * bv[j]);
}

TEST_CASE("elementwise: incompatible shapes name the op and both shapes") {
    const V a(tensor<double>::zeros({3, 4})), b(tensor<double>::zeros({3, 5}));
    CHECK_THROWS_WITH_AS(a + b, "add: shapes [3, 4] and [3, 5] do not broadcast", shape_error);
    CHECK_THROWS_AS(clamp(a, 1, 0), config_error);
}
