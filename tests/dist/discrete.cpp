// Bernoulli, Categorical and Delta, and the concepts that sort distributions.
#include <doctest/doctest.h>

#include <latent/dist/dist.hpp>
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

// What each distribution offers, as the model template will ask for it.
static_assert(dist::distribution<dist::normal<double>> && dist::reparameterisable<dist::normal<double>> &&
              dist::has_log_prob<dist::normal<double>> && dist::has_entropy<dist::normal<double>>);
static_assert(dist::reparameterisable<dist::laplace<float>> && dist::has_log_prob<dist::laplace<float>>);
static_assert(dist::distribution<dist::bernoulli<double>> && !dist::reparameterisable<dist::bernoulli<double>> &&
              dist::has_log_prob<dist::bernoulli<double>> && dist::has_entropy<dist::bernoulli<double>>);
static_assert(dist::distribution<dist::categorical<double>> && !dist::reparameterisable<dist::categorical<double>> &&
              dist::has_log_prob<dist::categorical<double>> && dist::has_entropy<dist::categorical<double>>);
static_assert(dist::reparameterisable<dist::delta<double>> && !dist::has_log_prob<dist::delta<double>> &&
              dist::has_entropy<dist::delta<double>>);
static_assert(!dist::distribution<int> && !dist::distribution<Td> && !dist::distribution<V>);
// class template argument deduction from the parameters' type
static_assert(std::same_as<decltype(dist::normal{V(), V()}), dist::normal<double, cpu>>);
static_assert(std::same_as<decltype(dist::categorical{var<float>()}), dist::categorical<float, cpu>>);

namespace {
void check_near(const std::vector<double>& got, const std::vector<double>& want, double tol) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element ", i, ": ", got[i], " vs ", want[i]);
        CHECK(std::fabs(got[i] - want[i]) <= tol);
    }
}

// Printed by tests/reference/dist.py (torch.distributions, float64).
const std::vector<double> bernoulli_log_prob_elements = {-30.0, -2.1269280110429727, -0.4740769841801067, -0.6931471805599453, -0.46187100611489995, -0.0};
const std::vector<double> bernoulli_log_prob = {-32.60100499522308, -1.1550181866748452};
const std::vector<double> bernoulli_entropy_elements = {0.0, 0.3653338550872077, 0.6628473185791794, 0.6931471805599453, 0.6274869817333553, 0.0};
const std::vector<double> bernoulli_entropy = {1.028181173666387, 1.3206341622933007};
const std::vector<double> categorical_log_prob = {-0.3344986126036624, -4.020466557608849, -30.000000000000348};
const std::vector<double> categorical_entropy = {0.8579463844386901, 0.7272798304309993, 1.0532083218207784e-11};
const std::vector<double> categorical_probs = {0.15969355003210822, 0.027750577932680404, 0.7156968377823844, 0.09685903425282705, 0.017944590800769912, 0.0487784550928662, 0.17025353720925424, 0.7630234168971097, 0.9999999999996521, 9.357622968836918e-14, 1.9287498479632466e-22, 2.5436656473760377e-13};
const std::vector<double> categorical_soft_log_prob = {-1.9344986126036625, -4.020466557608849, -27.250000000000348};

// The inputs of tests/reference/dist.py.
const Td bern_logits = Td::from_host({2, 3}, {-100.0, -2.0, -0.5, 0.0, 0.75, 40.0});
const Td bern_targets = Td::from_host({2, 3}, {0.3, 1.0, 0.0, 0.5, 0.9, 1.0});
const Td cat_logits = Td::from_host({3, 4}, {0.5, -1.25, 2.0, 0.0, -0.75, 0.25, 1.5, 3.0, 30.0, 0.0, -20.0, 1.0});
const labels_t cat_labels = labels_t::from_host({3}, {2, 0, 1});
const Td cat_soft = Td::from_host({3, 4}, {0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.0, 0.0, 0.25, 0.25, 0.25, 0.25});
}  // namespace

TEST_CASE("bernoulli: log_prob and entropy against torch.distributions") {
    const dist::bernoulli<double> b{V(bern_logits)};
    check_close(b.log_prob_elements(V(bern_targets)).value().to_vector(), bernoulli_log_prob_elements);
    const V lp = b.log_prob(V(bern_targets));
    CHECK(lp.shape() == latent::shape{2});
    check_close(lp.value().to_vector(), bernoulli_log_prob);
    // at logits ±100 and 40 the entropy is below 1e-15: compare absolutely there
    check_near(b.entropy_elements().value().to_vector(), bernoulli_entropy_elements, 1e-15);
    const V h = b.entropy();
    CHECK(h.shape() == latent::shape{2});
    check_close(h.value().to_vector(), bernoulli_entropy);
    const std::vector<double> p = b.mean().value().to_vector(), l = bern_logits.to_vector();
    for (std::size_t i = 0; i < p.size(); ++i) CHECK(p[i] == doctest::Approx(1 / (1 + std::exp(-l[i]))).epsilon(1e-15));
}

TEST_CASE("bernoulli: logits [1, d] broadcast over a batch of targets, and shapes are checked") {
    const dist::bernoulli<double> b{V(Td::from_host({1, 3}, {-2.0, 0.0, 1.0}))};
    const std::vector<double> lp = b.log_prob(V(Td::from_host({2, 3}, {1, 0, 1, 0, 1, 0}))).value().to_vector();
    auto log_sig = [](double x) { return -std::log1p(std::exp(-x)); };
    CHECK(lp[0] == doctest::Approx(log_sig(-2.0) + log_sig(-0.0) + log_sig(1.0)).epsilon(1e-14));
    CHECK(lp[1] == doctest::Approx(log_sig(2.0) + log_sig(0.0) + log_sig(-1.0)).epsilon(1e-14));
    CHECK_THROWS_WITH_AS(b.log_prob(V(Td::zeros({2, 4}))), doctest::Contains("[1, 3]"), shape_error);
}

TEST_CASE("bernoulli: gradchecks of log_prob and entropy") {
    auto lp = [](const Vs& v) { return dist::bernoulli<double>{v[0]}.log_prob(v[1]); };
    check_ok(gradcheck<double, cpu>(lp, {uniform_tensor({3, 4}, 1, -3, 3), uniform_tensor({3, 4}, 2, 0, 1)}));
    check_ok(gradcheck<double, cpu>(lp, {uniform_tensor({1, 4}, 3, -3, 3), uniform_tensor({3, 4}, 4, 0, 1)}));
    auto h = [](const Vs& v) { return dist::bernoulli<double>{v[0]}.entropy(); };
    check_ok(gradcheck<double, cpu>(h, {uniform_tensor({3, 4}, 5, -3, 3)}));
}

TEST_CASE("bernoulli: sample frequencies match the probabilities") {
    const std::int64_t n = 50000;
    const std::vector<double> probs = {0.05, 0.5, 0.8};
    std::vector<double> logits;
    for (std::int64_t r = 0; r < n; ++r)
        for (double p : probs) logits.push_back(std::log(p / (1 - p)));
    const dist::bernoulli<double> b{V(Td::from_host({n, 3}, logits))};
    generator gen(31);
    const Td s = b.sample(gen);
    CHECK(s.shape() == latent::shape{n, 3});
    CHECK(gen.offset() == std::uint64_t(3 * n));
    const std::vector<double> v = s.to_vector();
    std::size_t not_binary = 0;
    std::vector<double> ones(3, 0.0);
    for (std::size_t i = 0; i < v.size(); ++i) {
        not_binary += v[i] != 0.0 && v[i] != 1.0;
        ones[i % 3] += v[i];
    }
    CHECK(not_binary == 0);
    for (std::size_t c = 0; c < 3; ++c) {
        INFO("column ", c);
        CHECK(std::fabs(ones[c] / double(n) - probs[c]) < 5 * std::sqrt(probs[c] * (1 - probs[c]) / double(n)));
    }
}

TEST_CASE("categorical: log_prob, entropy and probs against torch.distributions") {
    const dist::categorical<double> c{V(cat_logits)};
    const V lp = c.log_prob(cat_labels);
    CHECK(lp.shape() == latent::shape{3});
    check_close(lp.value().to_vector(), categorical_log_prob);
    check_close(c.log_prob(V(cat_soft)).value().to_vector(), categorical_soft_log_prob);
    // a one-hot x gives the same as the label
    check_close(c.log_prob(V(one_hot<double>(cat_labels, 4))).value().to_vector(), categorical_log_prob);
    const V h = c.entropy();
    CHECK(h.shape() == latent::shape{3});
    check_near(h.value().to_vector(), categorical_entropy, 1e-14);
    const std::vector<double> hv = h.value().to_vector();
    check_close({hv[0], hv[1]}, {categorical_entropy[0], categorical_entropy[1]});
    check_near(c.probs().value().to_vector(), categorical_probs, 1e-15);
    CHECK(c.probs().value().to_vector() == c.mean().value().to_vector());
    const std::vector<double> logp = c.log_probs().value().to_vector(), p = c.probs().value().to_vector();
    for (std::size_t i = 0; i < 8; ++i) CHECK(std::exp(logp[i]) == doctest::Approx(p[i]).epsilon(1e-14));
}

TEST_CASE("categorical: bad labels and shapes are refused") {
    const dist::categorical<double> c{V(cat_logits)};
    CHECK_THROWS_AS(c.log_prob(labels_t::from_host({3}, {0, 4, 1})), config_error);
    CHECK_THROWS_AS(c.log_prob(labels_t::from_host({2}, {0, 1})), shape_error);
    CHECK_THROWS_AS(c.log_prob(V(Td::zeros({3, 3}))), shape_error);
    const dist::categorical<double> flat{V(Td::zeros({4}))};
    CHECK_THROWS_WITH_AS(flat.entropy(), doctest::Contains("[n, K]"), shape_error);
}

TEST_CASE("categorical: gradchecks of log_prob and entropy") {
    const labels_t labels = labels_t::from_host({3}, {3, 0, 2});
    auto hard = [&](const Vs& v) { return dist::categorical<double>{v[0]}.log_prob(labels); };
    check_ok(gradcheck<double, cpu>(hard, {uniform_tensor({3, 4}, 1, -2, 2)}));
    auto soft = [](const Vs& v) { return dist::categorical<double>{v[0]}.log_prob(v[1]); };
    check_ok(gradcheck<double, cpu>(soft, {uniform_tensor({3, 4}, 2, -2, 2), uniform_tensor({3, 4}, 3, 0, 1)}));
    auto h = [](const Vs& v) { return dist::categorical<double>{v[0]}.entropy(); };
    check_ok(gradcheck<double, cpu>(h, {uniform_tensor({3, 4}, 4, -2, 2)}));
    auto lps = [](const Vs& v) { return dist::categorical<double>{v[0]}.log_probs(); };
    check_ok(gradcheck<double, cpu>(lps, {uniform_tensor({3, 4}, 5, -2, 2)}));
}

TEST_CASE("categorical: sample frequencies match the probabilities") {
    const std::int64_t n = 60000;
    const std::vector<double> probs = {0.1, 0.0, 0.6, 0.3};
    std::vector<double> logits;
    for (std::int64_t r = 0; r < n; ++r)
        for (double p : probs) logits.push_back(p > 0 ? std::log(p) : -1e3);
    const dist::categorical<double> c{V(Td::from_host({n, 4}, logits))};
    generator gen(99);
    const labels_t s = c.sample(gen);
    CHECK(s.shape() == latent::shape{n});
    CHECK(gen.offset() == std::uint64_t(n));
    std::vector<double> count(4, 0.0);
    std::size_t out_of_range = 0;
    for (std::int32_t k : s.to_vector()) {
        if (k < 0 || k > 3) ++out_of_range;
        else count[static_cast<std::size_t>(k)] += 1;
    }
    CHECK(out_of_range == 0);
    CHECK(count[1] == 0);  // exp(-1000) underflows to a zero weight: never drawn
    for (std::size_t k = 0; k < 4; ++k) {
        INFO("class ", k);
        CHECK(std::fabs(count[k] / double(n) - probs[k]) <= 5 * std::sqrt(probs[k] * (1 - probs[k]) / double(n)));
    }
}

TEST_CASE("delta: draws return the value with its gradient and draw no numbers") {
    parameter<double> value("value", Td::from_host({2, 2}, {1.0, -2.0, 3.0, 0.5}));
    const dist::delta<double> d{value.as_var()};
    generator gen(4);
    const V z = d.rsample(gen);
    CHECK(gen.offset() == 0);
    CHECK(z.value().to_vector() == value.value().to_vector());
    CHECK(d.sample(gen).to_vector() == value.value().to_vector());
    CHECK(d.mean().value().to_vector() == value.value().to_vector());
    const V h = d.entropy();
    CHECK(h.shape() == latent::shape{2});
    CHECK(h.value().to_vector() == std::vector<double>{0.0, 0.0});
    backward(sum(z * 3.0));
    CHECK(value.grad().to_vector() == std::vector<double>{3.0, 3.0, 3.0, 3.0});
}
