#include <latent/optim/clip.hpp>

#include "fixture.hpp"

#include <limits>

using namespace latent;
using namespace optim_test;

namespace {
/// Gradients (3, 4) and (12): ‖·‖₂ = √(9 + 16 + 144) = 13, ‖·‖₁ = 19, ‖·‖∞ = 12.
struct three_four_twelve {
    parameter<double> a{"a", tensor<double>::zeros({2})};
    parameter<double> b{"b", tensor<double>::zeros({1, 1})};
    std::vector<parameter<double>*> list{&a, &b};
    three_four_twelve() {
        a.grad().copy_(tensor<double>::from_host({2}, {3, 4}));
        b.grad().fill_(12);
    }
    std::vector<double> grads() const {
        auto g = a.grad().to_vector();
        g.push_back(b.grad().item());
        return g;
    }
};
}  // namespace

TEST_CASE("clip: norms and clipping by hand") {
    SUBCASE("2-norm, clipped") {
        // total 13; coef = 6.5 / (13 + 1e-6) < 1, so every gradient is scaled by it
        three_four_twelve f;
        CHECK(clip_grad_norm(f.list, 6.5) == doctest::Approx(13).epsilon(1e-15));
        const double coef = 6.5 / (13 + 1e-6);
        const auto g = f.grads();
        CHECK(g[0] == doctest::Approx(3 * coef).epsilon(1e-15));
        CHECK(g[1] == doctest::Approx(4 * coef).epsilon(1e-15));
        CHECK(g[2] == doctest::Approx(12 * coef).epsilon(1e-15));
    }
    SUBCASE("2-norm, below max_norm: untouched") {
        three_four_twelve f;
        CHECK(clip_grad_norm(f.list, 20.0) == doctest::Approx(13).epsilon(1e-15));
        CHECK(f.grads() == std::vector<double>{3, 4, 12});
    }
    SUBCASE("max_norm equal to the norm: coef = 13/(13 + 1e-6) < 1 still scales, as in PyTorch") {
        three_four_twelve f;
        clip_grad_norm(f.list, 13.0);
        CHECK(f.grads()[2] == doctest::Approx(12 * 13 / (13 + 1e-6)).epsilon(1e-15));
        CHECK(f.grads()[2] < 12);
    }
    SUBCASE("infinity norm") {
        three_four_twelve f;
        CHECK(clip_grad_norm(f.list, 6.0, std::numeric_limits<double>::infinity()) == 12);
        CHECK(f.grads()[2] == doctest::Approx(12 * 6 / (12 + 1e-6)).epsilon(1e-15));
    }
    SUBCASE("1-norm and 3-norm") {
        three_four_twelve f;
        CHECK(clip_grad_norm(f.list, 100.0, 1.0) == doctest::Approx(19).epsilon(1e-15));
        // (27 + 64 + 1728)^(1/3)
        CHECK(clip_grad_norm(f.list, 100.0, 3.0) == doctest::Approx(std::cbrt(1819.0)).epsilon(1e-14));
        CHECK(f.grads() == std::vector<double>{3, 4, 12});
    }
}

// Printed by tests/reference/optim.py (torch.nn.utils.clip_grad_norm_, float64) for the
// gradients of step 1 of tests/optim/fixture.hpp.
namespace torch_ref {
const double clip_l2_total = 1.724093964956667;
const double clip_l2_grads[10] = {0.05800144541487794, -0.11600289082975589, 0.17400433624463382, -0.23200578165951177, 0.2900072270743897, -0.34800867248926765, 0.5800144541487794, 0.0, -0.5800144541487794, 0.14500361353719485};
const double clip_l2_loose_total = 1.724093964956667;
const double clip_l2_loose_grads[10] = {0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 1.0, 0.0, -1.0, 0.25};
const double clip_inf_total = 1.0;
const double clip_inf_grads[10] = {0.04999995000005, -0.0999999000001, 0.14999985000015, -0.1999998000002, 0.24999975000025002, -0.2999997000003, 0.49999950000050003, 0.0, -0.49999950000050003, 0.12499987500012501};
const double clip_l1_total = 4.35;
const double clip_l1_grads[10] = {0.04597700092482738, -0.09195400184965476, 0.13793100277448211, -0.1839080036993095, 0.22988500462413688, -0.27586200554896423, 0.45977000924827377, 0.0, -0.45977000924827377, 0.11494250231206844};
}  // namespace torch_ref

TEST_CASE("clip: values match torch.nn.utils.clip_grad_norm_") {
    using namespace torch_ref;
    struct reference_case {
        double max_norm, norm_type, total;
        const double* grads;
    };
    const double inf = std::numeric_limits<double>::infinity();
    for (auto c : {reference_case{1.0, 2.0, clip_l2_total, clip_l2_grads},
                   reference_case{10.0, 2.0, clip_l2_loose_total, clip_l2_loose_grads},
                   reference_case{0.5, inf, clip_inf_total, clip_inf_grads},
                   reference_case{2.0, 1.0, clip_l1_total, clip_l1_grads}}) {
        INFO("max_norm ", c.max_norm, ", norm_type ", c.norm_type);
        two_params<double> ps;
        ps.set_grads(0);
        auto list = ps.list();
        CHECK(clip_grad_norm(list, c.max_norm, c.norm_type) == doctest::Approx(c.total).epsilon(1e-15));
        check_close(two_params<double>::join(ps.p0.grad(), ps.p1.grad()), c.grads, 10, 1e-15);
    }
}

TEST_CASE("clip: float gradients") {
    two_params<float> ps;
    ps.set_grads(0);
    auto list = ps.list();
    CHECK(clip_grad_norm(list, 1.0) == doctest::Approx(torch_ref::clip_l2_total).epsilon(1e-6));
    check_close(two_params<float>::join(ps.p0.grad(), ps.p1.grad()), torch_ref::clip_l2_grads, 10, 1e-6);
}

TEST_CASE("clip: frozen parameters are left out") {
    // b frozen: the norm is that of a alone, ‖(3, 4)‖ = 5, and b's gradient stays.
    three_four_twelve f;
    f.b.set_trainable(false);
    CHECK(clip_grad_norm(f.list, 1.0) == doctest::Approx(5).epsilon(1e-15));
    CHECK(f.grads()[0] == doctest::Approx(3 / (5 + 1e-6)).epsilon(1e-15));
    CHECK(f.grads()[2] == 12);
    f.a.set_trainable(false);
    CHECK(clip_grad_norm(f.list, 1.0) == 0);  // nothing trainable
    std::vector<parameter<double>*> none;
    CHECK(clip_grad_norm(none, 1.0) == 0);
}

TEST_CASE("clip: large gradients against a naive loop") {
    // Sizes past the parallel threshold and the max-reduction chunk (4096), a
    // ragged last chunk, and the largest |g| in the last element.
    const std::size_t n = 100003;
    std::vector<double> g(n);
    for (std::size_t i = 0; i < n; ++i) g[i] = std::sin(0.001 * static_cast<double>(i)) * (i % 3 == 0 ? -1 : 1);
    g[n - 1] = -7.5;
    parameter<double> big("big", tensor<double>::zeros({static_cast<std::int64_t>(n)}));
    parameter<double> small("small", tensor<double>::zeros({3}));
    std::vector<parameter<double>*> list{&small, &big};

    double sq = 0, mx = 0;
    for (double v : g) sq += v * v, mx = std::max(mx, std::abs(v));
    const std::vector<double> s = {0.5, -0.25, 2};
    for (double v : s) sq += v * v, mx = std::max(mx, std::abs(v));

    for (double p : {2.0, std::numeric_limits<double>::infinity()}) {
        big.grad().copy_(tensor<double>::from_host({static_cast<std::int64_t>(n)}, g));
        small.grad().copy_(tensor<double>::from_host({3}, s));
        const double want = std::isinf(p) ? mx : std::sqrt(sq);
        INFO("norm_type ", p);
        CHECK(clip_grad_norm(list, 1.0, p) == doctest::Approx(want).epsilon(1e-12));
        const double coef = 1.0 / (want + 1e-6);
        CHECK(big.grad().to_vector()[n - 1] == doctest::Approx(-7.5 * coef).epsilon(1e-12));
        CHECK(small.grad().to_vector()[2] == doctest::Approx(2 * coef).epsilon(1e-12));
    }
}

TEST_CASE("clip: non-finite norms") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    for (double p : {2.0, inf}) {
        INFO("norm_type ", p);
        // PyTorch multiplies by a NaN coefficient: every gradient becomes NaN.
        three_four_twelve f;
        f.a.grad().copy_(tensor<double>::from_host({2}, {nan, 1}));
        CHECK(std::isnan(clip_grad_norm(f.list, 1.0, p)));
        CHECK(std::isnan(f.grads()[2]));
        // Asked to, it throws instead and leaves the gradients.
        three_four_twelve g;
        g.b.grad().fill_(inf);
        CHECK_THROWS_WITH_AS(clip_grad_norm(g.list, 1.0, p, true), doctest::Contains("total norm"), numeric_error);
        CHECK(g.grads()[0] == 3);
    }
}

TEST_CASE("clip: validation") {
    three_four_twelve f;
    using doctest::Contains;
    CHECK_THROWS_WITH_AS(clip_grad_norm(f.list, -1.0), Contains("max_norm"), config_error);
    CHECK_THROWS_WITH_AS(clip_grad_norm(f.list, 1.0, 0.0), Contains("norm_type"), config_error);
    CHECK_THROWS_WITH_AS(clip_grad_norm(f.list, 1.0, std::numeric_limits<double>::quiet_NaN()), Contains("norm_type"),
                         config_error);
    std::vector<parameter<double>*> with_null{&f.a, nullptr};
    CHECK_THROWS_WITH_AS(clip_grad_norm(with_null, 1.0), Contains("pointer 1 is null"), config_error);
    CHECK(f.grads() == std::vector<double>{3, 4, 12});
}
