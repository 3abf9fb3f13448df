#include <doctest/doctest.h>

#include <latent/autograd/ops/loss.hpp>
#include <latent/testing/gradcheck.hpp>

#include "../support.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;
using labels_t = tensor<std::int32_t>;

namespace {
parameter<double> param(const char* name, const latent::shape& s, std::initializer_list<double> values) {
    return parameter<double>(name, tensor<double>::from_host(s, values));
}

// Printed by tests/reference/losses.py (PyTorch 1.13, float64); reduction='none',
// gradients of the sum of the losses (log_softmax: of sum(log_softmax(x)·w)).
const std::vector<double> bce_loss = {30.0, 2.1269280110429727, 0.4740769841801067, 0.6931471805599453, 0.46187100611489995, 80.0};
const std::vector<double> bce_dlogits = {-0.3, -0.8807970779778824, 0.3775406687981454, 0.0, -0.22082130082460705, 0.8};
const std::vector<double> bce_dtargets = {100.0, 2.0, 0.5, -0.0, -0.75, -100.0};
const std::vector<double> ce_hard_loss = {0.23262198310203266, 2.580672609407224, 3.0549852353771474};
const std::vector<double> ce_hard_dlogits = {0.1768201821074443, 0.030726740326436432, -0.20754692243388073, -0.9242769451487165, 0.20583660399765155, 0.7184403411510649, 0.9464991225528937, -0.9528765834753359, 0.006377460922442297};
const std::vector<double> ce_soft_loss = {1.5076219831020325, 1.805672609407224, 3.0549852353771474};
const std::vector<double> ce_soft_dlogits = {-0.023179817892555715, -0.2692732596735636, 0.29245307756611927, -0.5242769451487165, 0.10583660399765155, 0.41844034115106493, 0.9464991225528937, -0.9528765834753359, 0.006377460922442297};
const std::vector<double> ce_soft_dprobs = {1.7326219831020326, 3.4826219831020326, 0.23262198310203266, 2.580672609407224, 1.580672609407224, 0.3306726094072241, 0.05498523537714723, 3.0549852353771474, 5.054985235377147};
const std::vector<double> log_softmax_value = {-1.7326219831020326, -3.4826219831020326, -0.23262198310203266, -2.580672609407224, -1.580672609407224, -0.3306726094072241, -0.05498523537714723, -3.0549852353771474, -5.054985235377147};
const std::vector<double> log_softmax_dlogits = {1.0884100910537222, -1.9846366298367817, 0.8962265387830597, 0.0796231265846121, 2.536867641005284, -2.6164907675898963, -1.973249561276447, -0.023561708262332073, 1.9968112695387787};
const std::vector<double> mse_loss = {1.9166666666666667};
const std::vector<double> mse_da = {0.16666666666666666, -0.3333333333333333, 0.0, 0.6666666666666666, -0.6666666666666666, 0.5};
const std::vector<double> mse_db = {-0.16666666666666666, 0.3333333333333333, 0.0, -0.6666666666666666, 0.6666666666666666, -0.5};

// The inputs of tests/reference/losses.py.
const std::initializer_list<double> ce_logits = {0.5, -1.25, 2.0, -0.75, 0.25, 1.5, 3.0, 0.0, -2.0};
}  // namespace

TEST_CASE("loss: binary cross-entropy with logits against PyTorch") {
    auto x = param("x", {6}, {-100.0, -2.0, -0.5, 0.0, 0.75, 100.0});
    auto t = param("t", {6}, {0.3, 1.0, 0.0, 0.5, 0.9, 0.2});
    const V loss = binary_cross_entropy_with_logits(x.as_var(), t.as_var());
    check_close(loss.value().to_vector(), bce_loss);
    backward(sum(loss));
    check_close(x.grad().to_vector(), bce_dlogits);
    check_close(t.grad().to_vector(), bce_dtargets);
}

TEST_CASE("loss: cross-entropy with labels against PyTorch") {
    auto x = param("x", {3, 3}, ce_logits);
    const V loss = cross_entropy_with_logits(x.as_var(), labels_t::from_host({3}, {2, 0, 1}));
    CHECK(loss.shape() == latent::shape{3, 1});
    check_close(loss.value().to_vector(), ce_hard_loss);
    backward(sum(loss));
    check_close(x.grad().to_vector(), ce_hard_dlogits);
}

TEST_CASE("loss: cross-entropy with probabilities against PyTorch") {
    auto x = param("x", {3, 3}, ce_logits);
    auto p = param("p", {3, 3}, {0.2, 0.3, 0.5, 0.6, 0.1, 0.3, 0.0, 1.0, 0.0});
    const V loss = cross_entropy_with_logits(x.as_var(), p.as_var());
    CHECK(loss.shape() == latent::shape{3, 1});
    check_close(loss.value().to_vector(), ce_soft_loss);
    backward(sum(loss));
    check_close(x.grad().to_vector(), ce_soft_dlogits);
    check_close(p.grad().to_vector(), ce_soft_dprobs);
}

TEST_CASE("loss: log_softmax_rows against PyTorch") {
    auto x = param("x", {3, 3}, ce_logits);
    const V w(tensor<double>::from_host({3, 3}, {1.0, -2.0, 0.5, 0.25, 3.0, -1.0, -1.5, 0.0, 2.0}));
    const V y = log_softmax_rows(x.as_var());
    check_close(y.value().to_vector(), log_softmax_value);
    backward(sum(y * w));
    check_close(x.grad().to_vector(), log_softmax_dlogits);
}

TEST_CASE("loss: mean squared error against PyTorch") {
    auto a = param("a", {2, 3}, {1.0, -2.0, 0.5, 3.0, 0.0, -1.5});
    auto b = param("b", {2, 3}, {0.5, -1.0, 0.5, 1.0, 2.0, -3.0});
    const V loss = mse(a.as_var(), b.as_var());
    CHECK(loss.shape() == latent::shape{});
    check_close({loss.item()}, mse_loss);
    backward(loss);
    check_close(a.grad().to_vector(), mse_da);
    check_close(b.grad().to_vector(), mse_db);
}

TEST_CASE("loss: values worked by hand") {
    // x = 0: log(1 + e⁰) = log 2 whatever the target
    const V zero(tensor<double>::zeros({3}));
    const V targets(tensor<double>::from_host({3}, {0.0, 0.5, 1.0}));
    for (double v : binary_cross_entropy_with_logits(zero, targets).value().to_vector())
        CHECK(v == doctest::Approx(std::log(2.0)));
    // equal logits over four classes: log 4 for any label, and for any probabilities summing to 1
    const V flat(tensor<double>::full({2, 4}, 3.0));
    for (double v : cross_entropy_with_logits(flat, labels_t::from_host({2}, {0, 3})).value().to_vector())
        CHECK(v == doctest::Approx(std::log(4.0)));
    const V probs(tensor<double>::from_host({2, 4}, {0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0}));
    for (double v : cross_entropy_with_logits(flat, probs).value().to_vector()) CHECK(v == doctest::Approx(std::log(4.0)));
    // (1 - 0)² = 1, (2 - 4)² = 4; mean 2.5
    const V a(tensor<double>::from_host({2}, {1, 2})), b(tensor<double>::from_host({2}, {0, 4}));
    CHECK(squared_error(a, b).value().to_vector() == std::vector<double>{1, 4});
    CHECK(mse(a, b).item() == 2.5);
}

TEST_CASE("loss: cross-entropy against a naive loop, and one-hot targets agree with labels") {
    const auto x = uniform_tensor({4, 5}, 1, -3, 3);
    const auto labels = labels_t::from_host({4}, {4, 0, 2, 2});
    const auto p = uniform_tensor({4, 5}, 2, 0, 1);
    const auto xv = x.to_vector(), pv = p.to_vector();
    const auto lv = labels.to_vector();
    const auto hard = cross_entropy_with_logits(V(x), labels).value().to_vector();
    const auto soft = cross_entropy_with_logits(V(x), V(p)).value().to_vector();
    for (int r = 0; r < 4; ++r) {
        double total = 0;
        for (int c = 0; c < 5; ++c) total += std::exp(xv[r * 5 + c]);
        CHECK(hard[r] == doctest::Approx(-std::log(std::exp(xv[r * 5 + lv[r]]) / total)));
        double s = 0;
        for (int c = 0; c < 5; ++c) s -= pv[r * 5 + c] * std::log(std::exp(xv[r * 5 + c]) / total);
        CHECK(soft[r] == doctest::Approx(s));
    }
    check_close(cross_entropy_with_logits(V(x), V(one_hot<double>(labels, 5))).value().to_vector(), hard, 1e-13);
}

TEST_CASE("loss: gradients") {
    const auto logits = uniform_tensor({3, 4}, 1, -3, 3), probs = uniform_tensor({3, 4}, 2, 0, 1);
    const auto labels = labels_t::from_host({3}, {3, 1, 0});
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return binary_cross_entropy_with_logits(v[0], v[1]); },
                                    {logits, probs}));
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return cross_entropy_with_logits(v[0], labels); }, {logits}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return cross_entropy_with_logits(v[0], v[1]); },
                                    {logits, probs}));
    // a matrix view: [3, 2, 2] logits are 3 rows of 4 classes
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return cross_entropy_with_logits(v[0], labels); },
                                    {uniform_tensor({3, 2, 2}, 3, -3, 3)}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return squared_error(v[0], v[1]); }, {logits, probs}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return mse(v[0], v[1]); }, {logits, probs}));
    // a constant target sends nothing back and the logits' gradient is unchanged
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return cross_entropy_with_logits(v[0], V(probs)); }, {logits}));
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return binary_cross_entropy_with_logits(v[0], V(probs)); },
                                    {logits}));
}

TEST_CASE("loss: logits of ±100 give finite losses and gradients") {
    auto x = param("x", {2, 3}, {100, -100, 0, -100, 100, 100});
    auto t = param("t", {2, 3}, {0, 1, 0.5, 0.25, 1, 0});
    const V bce = binary_cross_entropy_with_logits(x.as_var(), t.as_var());
    const auto b = bce.value().to_vector();
    CHECK(b[0] == doctest::Approx(100.0));  // σ(100) ≈ 1 against target 0
    CHECK(b[1] == doctest::Approx(100.0));  // σ(-100) ≈ 0 against target 1
    CHECK(b[4] == doctest::Approx(0.0));
    const auto labels = labels_t::from_host({2}, {1, 0});
    const V hard = cross_entropy_with_logits(x.as_var(), labels);
    const auto h = hard.value().to_vector();
    CHECK(h[0] == doctest::Approx(200.0));  // logsumexp(100, -100, 0) - (-100)
    CHECK(h[1] == doctest::Approx(200.0 + std::log(2.0)));
    const V soft = cross_entropy_with_logits(x.as_var(), t.as_var());
    CHECK(all_finite(bce.value()));
    CHECK(all_finite(hard.value()));
    CHECK(all_finite(soft.value()));
    CHECK(all_finite(log_softmax_rows(x.as_var()).value()));
    backward(sum(bce) + sum(hard) + sum(soft) + sum(log_softmax_rows(x.as_var())));
    CHECK(all_finite(x.grad()));
    CHECK(all_finite(t.grad()));
    // and the same in float, where a naive log(1 + eˣ) or Σ eˣ would overflow
    const var<float> xf(x.value().as<float>()), tf(t.value().as<float>());
    CHECK(all_finite(binary_cross_entropy_with_logits(xf, tf).value()));
    CHECK(all_finite(cross_entropy_with_logits(xf, labels).value()));
    CHECK(all_finite(cross_entropy_with_logits(xf, tf).value()));
    CHECK(cross_entropy_with_logits(xf, labels).value().to_vector()[0] == doctest::Approx(200.0f));
    // the gradient stays right far from zero
    check_ok(gradcheck<double, cpu>([&](const Vs& v) { return cross_entropy_with_logits(v[0], labels); },
                                    {x.value()}));
    check_ok(gradcheck<double, cpu>([](const Vs& v) { return binary_cross_entropy_with_logits(v[0], v[1]); },
                                    {x.value(), t.value()}));
}

TEST_CASE("loss: errors name the op and the shapes") {
    const V a(tensor<double>::zeros({2, 3})), b(tensor<double>::zeros({3, 2}));
    CHECK_THROWS_WITH_AS(binary_cross_entropy_with_logits(a, b),
                         "binary_cross_entropy_with_logits: logits [2, 3] and targets [3, 2] differ in shape",
                         shape_error);
    CHECK_THROWS_WITH_AS(cross_entropy_with_logits(a, b),
                         "cross_entropy_with_logits: logits [2, 3] and target probabilities [3, 2] differ in shape",
                         shape_error);
    CHECK_THROWS_WITH_AS(squared_error(a, b), "squared_error: [2, 3] and [3, 2] differ in shape", shape_error);
    CHECK_THROWS_WITH_AS(mse(a, b), "mse: [2, 3] and [3, 2] differ in shape", shape_error);
    CHECK_THROWS_AS(mse(V(tensor<double>::zeros({0})), V(tensor<double>::zeros({0}))), shape_error);
    CHECK_THROWS_WITH_AS(cross_entropy_with_logits(a, labels_t::from_host({2}, {1, 3})),
                         "cross_entropy_with_logits: label 3 at row 1 outside [0, 3) for [2, 3]", config_error);
    CHECK_THROWS_WITH_AS(cross_entropy_with_logits(a, labels_t::from_host({3}, {0, 1, 2})),
                         "cross_entropy_with_logits: label tensor [3] for 2 rows of [2, 3]", shape_error);
    CHECK_THROWS_AS(cross_entropy_with_logits(V(tensor<double>::zeros({2, 0})), labels_t::zeros({2})), shape_error);
}
