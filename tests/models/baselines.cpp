// The CCVAE baselines (MODELS.md §6) against hand computations on tiny fixed networks.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latent/models/m2.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;

namespace {

constexpr std::size_t n = 2, classes = 3;
const vec xs{0.2, 0.9, 1.0, 0.0};
tensor<double, cpu> inputs() { return tensor<double, cpu>::from_host({n, 2}, xs); }

auto make_m2(double alpha = 0.5) {
    const data::example_layout flat{{2}, 1, classes, {"class"}};
    return m2<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1).set("m2.alpha", alpha), 5);
}

/// L(x_i, c) = recon + KL(q(z|x,c) ‖ N(0,1)) − log(1/K), with the standard normal draw e.
double m2_elbo(const std::map<std::string, vec>& w, std::size_t i, std::size_t c, double e) {
    const vec x{xs[2 * i], xs[2 * i + 1]};
    vec in{x[0], x[1], 0, 0, 0};
    in[2 + c] = 1;
    const vec h = affine(w.at("head.z.weight"), w.at("head.z.bias"), in);
    const double z = h[0] + scale_of(h[1]) * e;
    vec dec{z, 0, 0, 0};
    dec[1 + c] = 1;
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), dec);
    double recon = 0;
    for (std::size_t j = 0; j < 2; ++j) recon += softplus(l[j]) - l[j] * x[j];
    return recon + kl_normal(h[0], scale_of(h[1]), 0, 1) + std::log(double(classes));
}
vec log_q_y(const std::map<std::string, vec>& w, std::size_t i) {
    const vec l = affine(w.at("classifier.weight"), w.at("classifier.bias"), {xs[2 * i], xs[2 * i + 1]});
    const double lse = std::log(std::exp(l[0]) + std::exp(l[1]) + std::exp(l[2]));
    return {l[0] - lse, l[1] - lse, l[2] - lse};
}

}  // namespace

TEST_CASE("baselines: M2's labelled bound, its classifier term and the unlabelled sum over y, by hand") {
    auto m = make_m2(0.5);
    const auto w = fix_weights(m);
    // Draws: the batch's own pass (n values), then one pass per class for the unlabelled rows.
    const auto e = normals(m.rng(), n, 1 + int(classes));
    const auto l = m.losses(inputs(), tensor<std::int32_t, cpu>::from_host({n, 1}, {2, -1}),
                            tensor<double, cpu>::from_host({n}, {1, 0}));

    const double labelled = m2_elbo(w, 0, 2, e[0][0]);
    const vec lq0 = log_q_y(w, 0), lq1 = log_q_y(w, 1);
    double u = 0;
    for (std::size_t c = 0; c < classes; ++c) u += std::exp(lq1[c]) * (m2_elbo(w, 1, c, e[1 + c][1]) + lq1[c]);
    CHECK(term(l, "m2.labelled") == doctest::Approx(labelled / n).epsilon(1e-12));
    CHECK(term(l, "m2.unlabelled") == doctest::Approx(u / n).epsilon(1e-12));
    CHECK(term(l, "m2.classifier") == doctest::Approx(0.5 * -lq0[2]).epsilon(1e-12));  // one labelled row
    CHECK(m.groups() == std::vector<std::string>{"model"});
}

// M2 with L = 2 binary labels: q(y|x) = Π_i Bern(sigmoid(l_i)), p(y) = 1/4, and U(x) enumerates the
// four label vectors, vector k having y_i = bit i of k. Every expected value is redone below from
// the fixed weights; the entropy is taken over the four vectors, not per label as the code does.
namespace {

constexpr std::int64_t bn = 3, bl = 2;
const vec bxs{0.2, 0.9, 1.0, 0.0, 0.6, 0.4};
tensor<double, cpu> binary_inputs() { return tensor<double, cpu>::from_host({bn, 2}, bxs); }
tensor<std::int32_t, cpu> binary_labels(const std::vector<std::int32_t>& v) {
    return tensor<std::int32_t, cpu>::from_host({bn, bl}, v);
}

auto make_binary_m2(double alpha = 0.5, int labels = int(bl)) {
    std::vector<std::string> names;
    for (int i = 0; i < labels; ++i) names.push_back("label" + std::to_string(i));
    const data::example_layout flat{{2}, labels, 2, names};
    return m2<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1).set("m2.alpha", alpha), 5);
}

vec bits_of(std::size_t k) { return {double(k & 1), double((k >> 1) & 1)}; }

/// L(x_i, y) = recon + KL(q(z|x,y) ‖ N(0,1)) − log(1/4), with the standard normal draw e.
double m2_binary_elbo(const std::map<std::string, vec>& w, std::size_t i, const vec& y, double e) {
    const vec x{bxs[2 * i], bxs[2 * i + 1]};
    const vec h = affine(w.at("head.z.weight"), w.at("head.z.bias"), {x[0], x[1], y[0], y[1]});
    const double z = h[0] + scale_of(h[1]) * e;
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), {z, y[0], y[1]});
    double recon = 0;
    for (std::size_t j = 0; j < 2; ++j) recon += softplus(l[j]) - l[j] * x[j];
    return recon + kl_normal(h[0], scale_of(h[1]), 0, 1) + std::log(4.0);
}
vec classifier_logits(const std::map<std::string, vec>& w, std::size_t i) {
    return affine(w.at("classifier.weight"), w.at("classifier.bias"), {bxs[2 * i], bxs[2 * i + 1]});
}
/// q(y | x_i) for one label vector, as the product of the two Bernoulli probabilities.
double q_vector(const std::map<std::string, vec>& w, std::size_t i, const vec& y) {
    const vec l = classifier_logits(w, i);
    double q = 1;
    for (std::size_t j = 0; j < 2; ++j) q *= y[j] == 1 ? sigmoid(l[j]) : 1 - sigmoid(l[j]);
    return q;
}
/// −log q(y | x_i) = Σ_j −[y_j log σ(l_j) + (1 − y_j) log(1 − σ(l_j))].
double bce(const std::map<std::string, vec>& w, std::size_t i, const vec& y) {
    const vec l = classifier_logits(w, i);
    double s = 0;
    for (std::size_t j = 0; j < 2; ++j)
        s -= y[j] * std::log(sigmoid(l[j])) + (1 - y[j]) * std::log(1 - sigmoid(l[j]));
    return s;
}
/// U(x_i) = Σ_k q(k|x)·L(x, k) − H(q), the entropy over the four vectors; draws[k] for vector k.
double m2_binary_unlabelled(const std::map<std::string, vec>& w, std::size_t i, const std::vector<double>& draws) {
    double u = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        const double q = q_vector(w, i, bits_of(k));
        u += q * (m2_binary_elbo(w, i, bits_of(k), draws[k]) + std::log(q));
    }
    return u;
}


}  // namespace

TEST_CASE("baselines: M2 with binary labels, a fully labelled batch by hand") {
    auto m = make_binary_m2(0.5);
    const auto w = fix_weights(m);
    const auto e = normals(m.rng(), bn, 1);
    const std::uint64_t before = m.rng().offset();
    const std::vector<vec> y{{1, 0}, {0, 1}, {1, 1}};
    const auto l = m.losses(binary_inputs(), binary_labels({1, 0, 0, 1, 1, 1}));
    CHECK(m.rng().offset() - before == bn);  // the batch's own pass only: nothing enumerated

    double labelled = 0, classifier = 0;
    for (std::size_t i = 0; i < bn; ++i) {
        labelled += m2_binary_elbo(w, i, y[i], e[0][i]) / bn;
        classifier += 0.5 * bce(w, i, y[i]) / bn;
    }
    CHECK(term(l, "m2.labelled") == doctest::Approx(labelled).epsilon(1e-12));
    CHECK(term(l, "m2.unlabelled") == 0.0);
    CHECK(term(l, "m2.classifier") == doctest::Approx(classifier).epsilon(1e-12));
    CHECK(l.main.item() == doctest::Approx(labelled + classifier).epsilon(1e-12));
    CHECK(m.groups() == std::vector<std::string>{"model"});
}

TEST_CASE("baselines: M2 with binary labels, a mixed batch enumerates the four label vectors by hand") {
    auto m = make_binary_m2(0.5);
    const auto w = fix_weights(m);
    // Draws: the batch's own pass (n values), then one pass per label vector k = 0 … 3.
    const auto e = normals(m.rng(), bn, 1 + 4);
    const std::uint64_t before = m.rng().offset();
    const auto l = m.losses(binary_inputs(), binary_labels({1, 0, -1, -1, 0, 1}),
                            tensor<double, cpu>::from_host({bn}, {1, 0, 1}));
    CHECK(m.rng().offset() - before == bn * (1 + 4));

    const vec y0{1, 0}, y2{0, 1};
    const double labelled = (m2_binary_elbo(w, 0, y0, e[0][0]) + m2_binary_elbo(w, 2, y2, e[0][2])) / bn;
    const double unlabelled = m2_binary_unlabelled(w, 1, {e[1][1], e[2][1], e[3][1], e[4][1]}) / bn;
    const double classifier = 0.5 * (bce(w, 0, y0) + bce(w, 2, y2)) / 2;  // α·mean over the 2 labelled rows
    CHECK(term(l, "m2.labelled") == doctest::Approx(labelled).epsilon(1e-12));
    CHECK(term(l, "m2.unlabelled") == doctest::Approx(unlabelled).epsilon(1e-12));
    CHECK(term(l, "m2.classifier") == doctest::Approx(classifier).epsilon(1e-12));
    CHECK(l.main.item() == doctest::Approx(labelled + unlabelled + classifier).epsilon(1e-12));

    // All hidden: U on every row, no classifier term.
    const auto e2 = normals(m.rng(), bn, 1 + 4);
    const auto hidden = m.losses(binary_inputs(), binary_labels({0, 0, 0, 0, 0, 0}),
                                 tensor<double, cpu>::from_host({bn}, {0, 0, 0}));
    double all = 0;
    for (std::size_t i = 0; i < bn; ++i)
        all += m2_binary_unlabelled(w, i, {e2[1][i], e2[2][i], e2[3][i], e2[4][i]}) / bn;
    CHECK(term(hidden, "m2.labelled") == 0.0);
    CHECK(term(hidden, "m2.classifier") == 0.0);
    CHECK(term(hidden, "m2.unlabelled") == doctest::Approx(all).epsilon(1e-12));
}

TEST_CASE("baselines: M2 with binary labels, the loss's gradient matches central differences") {
    auto m = make_binary_m2(0.7);
    fix_weights(m);
    const auto x = binary_inputs();
    const auto y = binary_labels({0, 1, -1, -1, 1, 1});
    const auto s = tensor<double, cpu>::from_host({bn}, {1, 0, 1});
    const std::uint64_t offset = m.rng().offset();
    const auto largest = check_gradient(m, [&] {
        m.rng().set_offset(offset);
        return m.losses(x, y, s);
    });
    // Each network gets a gradient, the classifier's both from its α term and through q(y|x) in U.
    for (const char* name : {"classifier.weight", "classifier.bias", "head.z.weight", "decoder.weight"}) {
        INFO(name);
        CHECK(largest.at(name) > 1e-3);
    }
}

TEST_CASE("baselines: M2's class probabilities are the softmax (categorical) or each label's sigmoid (binary)") {
    auto binary = make_binary_m2();
    const auto wb = fix_weights(binary);
    const vec pb = binary.objective_impl().class_probabilities(var<double, cpu>(binary_inputs())).value().to_vector();
    REQUIRE(pb.size() == std::size_t(bn * bl));
    for (std::size_t i = 0; i < bn; ++i)
        for (std::size_t j = 0; j < 2; ++j)
            CHECK(pb[i * 2 + j] == doctest::Approx(sigmoid(classifier_logits(wb, i)[j])).epsilon(1e-12));

    auto categorical = make_m2();
    const auto wc = fix_weights(categorical);
    const vec pc = categorical.objective_impl().class_probabilities(var<double, cpu>(inputs())).value().to_vector();
    REQUIRE(pc.size() == n * classes);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t c = 0; c < classes; ++c)
            CHECK(pc[i * classes + c] == doctest::Approx(std::exp(log_q_y(wc, i)[c])).epsilon(1e-12));
}

TEST_CASE("baselines: M2 takes at most 6 binary labels, and enumerates all 64 vectors at 6") {
    CHECK_THROWS_WITH_AS(make_binary_m2(0.5, 7), doctest::Contains("7 binary labels would need 2^7"), config_error);
    CHECK_THROWS_WITH_AS(make_binary_m2(0.5, 7), doctest::Contains("at most 6 binary labels (64 passes)"),
                         config_error);

    auto m = make_binary_m2(0.5, 6);
    const std::uint64_t before = m.rng().offset();
    const auto l = m.losses(binary_inputs(), tensor<std::int32_t, cpu>::zeros({bn, 6}),
                            tensor<double, cpu>::from_host({bn}, {0, 1, 0}));
    CHECK(m.rng().offset() - before == bn * (1 + 64));
    CHECK(std::isfinite(term(l, "m2.unlabelled")));
    CHECK(term(l, "m2.unlabelled") > 0);
}
