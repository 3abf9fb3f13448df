// The CCVAE baselines (MODELS.md §6) against hand computations on tiny fixed networks.
#include <doctest/doctest.h>

#include <cmath>
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

TEST_CASE("baselines: M2 needs one categorical label") {
    const data::example_layout binary{{2}, 2, 0, {"a", "b"}};
    CHECK_THROWS_WITH_AS(m2<>::build(cpu{}, binary, linear_networks(), model_options{}.size("z", 1), 1),
                         doctest::Contains("one categorical label"), config_error);
}
