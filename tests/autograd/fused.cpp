// The fused reparameterised Gaussian sample with its KL term: values against a
// naive loop written here, gradients by finite differences (both outputs, both
// scale parameterisations), and its errors.
#include <doctest/doctest.h>

#include <latent/autograd/ops/fused.hpp>
#include <latent/testing/gradcheck.hpp>
#include <latent/tensor/random.hpp>

#include "../support.hpp"

#include <cmath>
#include <vector>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using namespace test_support;

namespace {
/// σ of one raw value, written out here as the reference.
double reference_sigma(double raw, scale_param kind, double floor) {
    if (kind == scale_param::log_var) return std::exp(raw / 2);
    return std::log1p(std::exp(raw)) + floor;
}
}  // namespace

TEST_CASE("fused: gaussian_sample_kl values equal a naive loop with the generator's normals") {
    for (scale_param kind : {scale_param::softplus, scale_param::log_var}) {
        CAPTURE(static_cast<int>(kind));
        const auto loc = uniform_tensor({3, 4}, 1, -2, 2);
        const auto raw = uniform_tensor({3, 4}, 2, -3, 3);
        generator gen(42, 7, 5);
        const auto out = gaussian_sample_kl(V(loc), V(raw), gen, reparam_options{}.scale(kind).floor(1e-3));
        CHECK(gen.offset() == 5 + 12);

        tensor<double> eps({3, 4});
        generator again(42, 7, 5);
        normal_(eps, again);  // the same counters: ε is what normal_ draws
        const auto mu = loc.to_vector(), rw = raw.to_vector(), e = eps.to_vector();
        const auto z = out.z.value().to_vector(), kl = out.kl.value().to_vector();
        REQUIRE(out.z.shape() == shape{3, 4});
        REQUIRE(out.kl.shape() == shape{3});
        for (std::size_t r = 0; r < 3; ++r) {
            double want = 0;
            for (std::size_t j = 0; j < 4; ++j) {
                const std::size_t i = r * 4 + j;
                const double s = reference_sigma(rw[i], kind, 1e-3);
                CHECK(z[i] == doctest::Approx(mu[i] + s * e[i]).epsilon(1e-12));
                want += 0.5 * (s * s + mu[i] * mu[i] - 1) - std::log(s);
            }
            CHECK(kl[r] == doctest::Approx(want).epsilon(1e-12));
        }
    }
}

TEST_CASE("fused: the KL of the standard normal is zero and grows away from it") {
    generator gen(1);
    // log_var raw = 0 means σ = 1; μ = 0 then gives KL 0 exactly.
    const auto zero = gaussian_sample_kl(V(tensor<double>::zeros({2, 3})), V(tensor<double>::zeros({2, 3})), gen,
                                         reparam_options{}.scale(scale_param::log_var));
    CHECK(zero.kl.value().to_vector() == std::vector<double>{0.0, 0.0});
    // μ = 1 in every one of 3 dimensions, σ = 1: KL = 3·½ = 1.5 (by hand).
    const auto one = gaussian_sample_kl(V(tensor<double>::ones({1, 3})), V(tensor<double>::zeros({1, 3})), gen,
                                        reparam_options{}.scale(scale_param::log_var));
    CHECK(one.kl.value().to_vector()[0] == doctest::Approx(1.5));
}

TEST_CASE("fused: gradients of gaussian_sample_kl through z, kl and both, for each parameterisation") {
    for (scale_param kind : {scale_param::softplus, scale_param::log_var}) {
        CAPTURE(static_cast<int>(kind));
        const reparam_options opt = reparam_options{}.scale(kind).floor(0.01);
        const std::vector<tensor<double>> in{uniform_tensor({3, 5}, 3, -2, 2), uniform_tensor({3, 5}, 4, -2, 2)};
        // A fresh generator with the same seed in every evaluation: ε is fixed, as gradcheck needs.
        auto z_only = gradcheck<double, cpu>(
            [&](const Vs& v) { generator g(9); return gaussian_sample_kl(v[0], v[1], g, opt).z; }, in);
        INFO(z_only.report);
        CHECK(z_only.ok);
        auto kl_only = gradcheck<double, cpu>(
            [&](const Vs& v) { generator g(9); return gaussian_sample_kl(v[0], v[1], g, opt).kl; }, in);
        INFO(kl_only.report);
        CHECK(kl_only.ok);
        auto both = gradcheck<double, cpu>(
            [&](const Vs& v) {
                generator g(9);
                const auto r = gaussian_sample_kl(v[0], v[1], g, opt);
                return sum(square(r.z)) + sum(r.kl) * 0.5;
            },
            in);
        INFO(both.report);
        CHECK(both.ok);
    }
}

TEST_CASE("fused: a gradient into only one input is computed for that input alone") {
    parameter<double> loc("loc", uniform_tensor({2, 3}, 5, -1, 1));
    const V raw(uniform_tensor({2, 3}, 6, -1, 1));  // a constant
    generator gen(3);
    const auto r = gaussian_sample_kl(loc.as_var(), raw, gen);
    tape<double, cpu>::current().backward(sum(r.z) + sum(r.kl));
    // d/dμ of Σz + Σkl = 1 + μ
    const auto g = loc.grad().to_vector(), m = loc.value().to_vector();
    for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == doctest::Approx(1 + m[i]));
}

TEST_CASE("fused: gaussian_sample_kl refuses mismatched shapes and a negative floor") {
    generator gen(0);
    const V a(tensor<double>::zeros({2, 3})), b(tensor<double>::zeros({2, 4})), c(tensor<double>::zeros({6}));
    CHECK_THROWS_AS(gaussian_sample_kl(a, b, gen), shape_error);
    CHECK_THROWS_AS(gaussian_sample_kl(c, c, gen), shape_error);
    CHECK_THROWS_AS(gaussian_sample_kl(a, a, gen, reparam_options{}.floor(-1)), config_error);
    CHECK(gen.offset() == 0);  // nothing drawn before validation
}
