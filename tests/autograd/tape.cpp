#include <doctest/doctest.h>

#include <latent/autograd/ops/matmul.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <string>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {
/// A test-only op with a deliberately wrong backward (it forgets the factor 2 of d(x²)/dx).
V wrong_square(const V& x) {
    tensor<double> y(x.shape());
    const auto xs = x.value().to_vector();
    std::vector<double> ys(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) ys[i] = xs[i] * xs[i];
    y = tensor<double>::from_host(x.shape(), ys);
    return record("wrong_square", y, {&x}, [x = x.value()](tensor<double>& g, auto& inputs) {
        auto gv = g.to_vector(), xv = x.to_vector();
        for (std::size_t i = 0; i < gv.size(); ++i) gv[i] *= xv[i];  // should be 2·x
        inputs.add(0, tensor<double>::from_host(x.shape(), gv));
    });
}
}  // namespace

TEST_CASE("gradcheck: a wrong backward fails the checker") {
    auto r = gradcheck<double, cpu>([](const Vs& v) { return wrong_square(v[0]); }, {uniform_tensor({2, 3}, 1)});
    CHECK_FALSE(r.ok);
    CHECK(r.report.find("backward gives") != std::string::npos);
    // and the same check passes the correct op
    r = gradcheck<double, cpu>([](const Vs& v) { return square(v[0]); }, {uniform_tensor({2, 3}, 1)});
    CHECK(r.ok);
}

TEST_CASE("tape: a value used twice accumulates both gradients") {
    parameter<double> x("x", tensor<double>::from_host({1}, {3.0}));
    const V v = x;
    backward(sum(v * v + 2.0 * v));  // d/dx (x² + 2x) = 2x + 2 = 8
    CHECK(x.grad().item() == 8);
    backward(sum(x.as_var() * 1.0));  // parameter grads accumulate across backward calls
    CHECK(x.grad().item() == 9);
    x.zero_grad();
    CHECK(x.grad().item() == 0);
}

TEST_CASE("tape: one backward of a weighted sum of losses") {
    parameter<double> a("a", tensor<double>::from_host({1}, {2.0}));
    parameter<double> b("b", tensor<double>::from_host({1}, {5.0}));
    const V loss1 = sum(square(a.as_var())), loss2 = sum(a.as_var() * b.as_var());
    backward(loss1 + 0.5 * loss2);  // d/da = 2a + 0.5b = 6.5, d/db = 0.5a = 1
    CHECK(a.grad().item() == doctest::Approx(6.5));
    CHECK(b.grad().item() == doctest::Approx(1.0));
}

TEST_CASE("tape: no_grad, detach and frozen parameters record nothing") {
    parameter<double> x("x", tensor<double>::from_host({1}, {3.0}));
    {
        no_grad guard;
        CHECK_FALSE((x.as_var() * 2.0).requires_grad());
    }
    CHECK((x.as_var() * 2.0).requires_grad());
    CHECK_FALSE(detach(x.as_var() * 2.0).requires_grad());
    // the detached branch sends nothing back
    const V y = x;
    backward(sum(y * detach(y)));  // d/dx = detach(y) = 3
    CHECK(x.grad().item() == 3);
    x.set_trainable(false);
    CHECK_FALSE(x.as_var().requires_grad());
}

TEST_CASE("tape: retain_graph allows a second backward, without it the graph is freed") {
    parameter<double> x("x", tensor<double>::from_host({1}, {2.0}));
    const V loss = sum(exp(x.as_var()));
    backward(loss, {.retain_graph = true});
    backward(loss);
    CHECK(x.grad().item() == doctest::Approx(2 * std::exp(2.0)));
    CHECK_THROWS_AS(backward(loss), latent::error);
}

TEST_CASE("tape: backward wants a one-element root") {
    parameter<double> x("x", tensor<double>::zeros({2}));
    CHECK_THROWS_AS(backward(x.as_var() * 1.0), shape_error);
    tape<double, cpu>::current().clear();
}

TEST_CASE("debug: the finite check names the op that made a NaN") {
    debug::check_finite(true);
    parameter<double> x("x", tensor<double>::from_host({2}, {1.0, -1.0}));
    CHECK_THROWS_WITH_AS(log(x.as_var() - 2.0), "op log produced NaN or infinity (output [2])", numeric_error);
    debug::check_finite(false);
    CHECK_NOTHROW(log(x.as_var() - 2.0));
    tape<double, cpu>::current().clear();
}
