#include <latent/optim/sgd.hpp>

#include "fixture.hpp"

using namespace latent;
using namespace optim_test;

OPTIM_TEST_COUNT_ALLOCATIONS

static_assert(optimizer<sgd<float>>);
static_assert(optimizer<sgd<double>>);

namespace {
/// One scalar-like parameter [2] and an SGD over it, stepped with the given gradients.
std::vector<double> run_by_hand(sgd_options o, std::vector<double> start, const std::vector<std::vector<double>>& grads) {
    parameter<double> p("p", tensor<double>::from_host({2}, start));
    std::vector<parameter<double>*> list{&p};
    sgd opt(list, o);
    for (const auto& g : grads) {
        p.grad().copy_(tensor<double>::from_host({2}, g));
        opt.step();
    }
    return p.value().to_vector();
}
}  // namespace

TEST_CASE("sgd: plain steps by hand") {
    // lr 0.1: p ← p - 0.1·g
    // step 1, g = (0.5, 0.25):  1 - 0.05 = 0.95,     -2 - 0.025 = -2.025
    // step 2, g = (1, -1):      0.95 - 0.1 = 0.85,   -2.025 + 0.1 = -1.925
    const auto p = run_by_hand(sgd_options{}.lr(0.1), {1, -2}, {{0.5, 0.25}, {1, -1}});
    CHECK(p[0] == doctest::Approx(0.85).epsilon(1e-15));
    CHECK(p[1] == doctest::Approx(-1.925).epsilon(1e-15));
}

TEST_CASE("sgd: momentum steps by hand") {
    // μ 0.9, lr 0.1, first element (p = 1):
    // step 1, g = 1:   b = g = 1 (the first step copies the gradient);  p = 1 - 0.1·1 = 0.9
    // step 2, g = 0.5: b = 0.9·1 + 0.5 = 1.4;                            p = 0.9 - 0.14 = 0.76
    // second element (p = 0): g = 2 then -1: b = 2, p = -0.2; b = 1.8 - 1 = 0.8, p = -0.28
    auto p = run_by_hand(sgd_options{}.lr(0.1).momentum(0.9), {1, 0}, {{1, 2}, {0.5, -1}});
    CHECK(p[0] == doctest::Approx(0.76).epsilon(1e-15));
    CHECK(p[1] == doctest::Approx(-0.28).epsilon(1e-15));

    // dampening 0.5 leaves the first step alone and halves later gradients:
    // step 1: b = 1, p = 0.9; step 2: b = 0.9·1 + 0.5·0.5 = 1.15, p = 0.9 - 0.115 = 0.785
    p = run_by_hand(sgd_options{}.lr(0.1).momentum(0.9).dampening(0.5), {1, 0}, {{1, 0}, {0.5, 0}});
    CHECK(p[0] == doctest::Approx(0.785).epsilon(1e-15));
}

TEST_CASE("sgd: nesterov steps by hand") {
    // μ 0.9, lr 0.1, p = 1:
    // step 1, g = 1:   b = 1;                  d = g + μ·b = 1.9;          p = 1 - 0.19 = 0.81
    // step 2, g = 0.5: b = 0.9 + 0.5 = 1.4;    d = 0.5 + 0.9·1.4 = 1.76;   p = 0.81 - 0.176 = 0.634
    const auto p = run_by_hand(sgd_options{}.lr(0.1).momentum(0.9).nesterov(true), {1, 0}, {{1, 0}, {0.5, 0}});
    CHECK(p[0] == doctest::Approx(0.634).epsilon(1e-15));
    CHECK(p[1] == 0);
}

TEST_CASE("sgd: weight decay steps by hand") {
    // wd 0.1, lr 0.1, no momentum, p = 2:
    // step 1, g = 1: d = 1 + 0.1·2 = 1.2;       p = 2 - 0.12 = 1.88
    // step 2, g = 0: d = 0.1·1.88 = 0.188;      p = 1.88 - 0.0188 = 1.8612
    auto p = run_by_hand(sgd_options{}.lr(0.1).weight_decay(0.1), {2, 0}, {{1, 0}, {0, 0}});
    CHECK(p[0] == doctest::Approx(1.8612).epsilon(1e-15));
    CHECK(p[1] == 0);
    // with momentum 0.5 the decayed gradient is what the buffer holds:
    // step 1: b = 1.2, p = 1.88; step 2: b = 0.5·1.2 + 0.188 = 0.788, p = 1.88 - 0.0788 = 1.8012
    p = run_by_hand(sgd_options{}.lr(0.1).momentum(0.5).weight_decay(0.1), {2, 0}, {{1, 0}, {0, 0}});
    CHECK(p[0] == doctest::Approx(1.8012).epsilon(1e-15));
}

// Printed by tests/reference/optim.py (torch 1.13, torch.optim.SGD, foreach=False, float64).
namespace torch_ref {
const double sgd_plain_steps[3][10] = {
    {0.49, -0.98, 1.47, 2.04, -0.3, 0.06, 0.9, -2.0, 3.1, 0.07500000000000001},
    {0.52, -0.99, 1.45, 2.04, -0.25, -0.010000000000000002, 0.85, -1.95, 2.9, 0.08750000000000001},
    {0.5, -1.01, 1.46, 2.0100000000000002, -0.25, 0.01, 0.95, -2.025, 2.85, 0.037500000000000006},
};
const double sgd_momentum_steps[3][10] = {
    {0.49, -0.98, 1.47, 2.04, -0.3, 0.06, 0.9, -2.0, 3.1, 0.07500000000000001},
    {0.511, -0.972, 1.423, 2.076, -0.295, 0.044000000000000004, 0.76, -1.95, 2.99, 0.06500000000000002},
    {0.5099, -0.9848, 1.3907, 2.0784000000000002, -0.2905, 0.04960000000000001, 0.734, -1.98, 2.841, 0.006000000000000016},
};
const double sgd_momentum_momentum_buffer[10] = {0.011000000000000038, 0.128, 0.32300000000000006, -0.024000000000000077, -0.04499999999999999, -0.05600000000000008, 0.26, 0.3, 1.4900000000000002, 0.59};
const double sgd_dampening_steps[3][10] = {
    {0.49, -0.98, 1.47, 2.04, -0.3, 0.06, 0.9, -2.0, 3.1, 0.07500000000000001},
    {0.5035, -0.9695, 1.428, 2.076, -0.3075, 0.061500000000000006, 0.7725000000000001, -1.9625, 3.04, 0.061875000000000006},
    {0.5006499999999999, -0.9750500000000001, 1.3977, 2.0859, -0.31425, 0.07785000000000002, 0.7327500000000001, -1.9849999999999999, 2.9485, 0.0125625},
};
const double sgd_dampening_momentum_buffer[10] = {0.028500000000000025, 0.055499999999999994, 0.30300000000000005, -0.09900000000000007, 0.06750000000000002, -0.16350000000000006, 0.39749999999999996, 0.22499999999999998, 0.915, 0.49312500000000004};
const double sgd_nesterov_steps[3][10] = {
    {0.481, -0.962, 1.443, 2.076, -0.345, 0.11399999999999999, 0.81, -2.0, 3.19, 0.052500000000000005},
    {0.5298999999999999, -0.9648, 1.3807, 2.1084, -0.2905, 0.029599999999999998, 0.634, -1.905, 2.891, 0.056},
    {0.50891, -0.99632, 1.3616300000000001, 2.08056, -0.28645, 0.05464000000000001, 0.7106, -2.007, 2.7069, -0.047099999999999996},
};
const double sgd_nesterov_momentum_buffer[10] = {0.011000000000000038, 0.128, 0.32300000000000006, -0.024000000000000077, -0.04499999999999999, -0.05600000000000008, 0.26, 0.3, 1.4900000000000002, 0.59};
const double sgd_decay_steps[3][10] = {
    {0.48, -0.96, 1.44, 2.0, -0.295, 0.06, 0.88, -1.96, 3.04, 0.073},
    {0.4904, -0.9308, 1.3612, 1.96, -0.2616, 0.018799999999999997, 0.7524, -1.8508, 2.7992, 0.07053999999999999},
    {0.465792, -0.917584, 1.304576, 1.8708, -0.239668, 0.017824, 0.773552, -1.834184, 2.572816, 0.01789919999999999},
};
const double sgd_decay_momentum_buffer[10] = {0.24608000000000002, -0.13216, 0.5662400000000001, 0.8919999999999999, -0.21932000000000004, 0.009759999999999991, -0.21152000000000004, -0.16616000000000009, 2.26384, 0.526408};
}  // namespace torch_ref

namespace {
void check_against_torch(sgd_options o, const double (&steps)[3][10], const double* buffer) {
    two_params<double> ps;
    auto list = ps.list();
    sgd opt(list, o);
    for (int t = 0; t < 3; ++t) {
        ps.set_grads(t);
        opt.step();
        INFO("step ", t + 1);
        check_close(ps.values(), steps[t], 10, 1e-14);
    }
    if (buffer) {
        REQUIRE(ps.p0.optimizer_state().size() == 1);
        check_close(ps.state(0), buffer, 10, 1e-13, 1e-16);
    } else {
        CHECK(ps.p0.optimizer_state().empty());  // no momentum, no state
    }
    CHECK(ps.p0.optimizer_steps() == 3);
}
}  // namespace

TEST_CASE("sgd: three steps match torch.optim.SGD") {
    using namespace torch_ref;
    SUBCASE("plain") { check_against_torch(sgd_options{}.lr(0.1), sgd_plain_steps, nullptr); }
    SUBCASE("momentum") {
        check_against_torch(sgd_options{}.lr(0.1).momentum(0.9), sgd_momentum_steps, sgd_momentum_momentum_buffer);
    }
    SUBCASE("dampening") {
        check_against_torch(sgd_options{}.lr(0.1).momentum(0.9).dampening(0.25), sgd_dampening_steps,
                            sgd_dampening_momentum_buffer);
    }
    SUBCASE("nesterov") {
        check_against_torch(sgd_options{}.lr(0.1).momentum(0.9).nesterov(true), sgd_nesterov_steps,
                            sgd_nesterov_momentum_buffer);
    }
    SUBCASE("weight decay") {
        check_against_torch(sgd_options{}.lr(0.1).momentum(0.5).weight_decay(0.2), sgd_decay_steps,
                            sgd_decay_momentum_buffer);
    }
}

TEST_CASE("sgd: float parameters take the same steps to float precision") {
    two_params<float> ps;
    auto list = ps.list();
    sgd opt(list, sgd_options{}.lr(0.1).momentum(0.9).nesterov(true));
    for (int t = 0; t < 3; ++t) {
        ps.set_grads(t);
        opt.step();
    }
    check_close(ps.values(), torch_ref::sgd_nesterov_steps[2], 10, 1e-6, 1e-7);
}

TEST_CASE("sgd: converges on a quadratic") {
    // Curvatures 1 to 10: plain SGD with lr 0.15 contracts the stiffest
    // coordinate by |1 - 1.5| = 0.5 per step and the softest by 0.85; heavy
    // ball with μ = 0.9 by about √0.9 ≈ 0.95, so 400 steps leave ~1e-9.
    for (auto o : {sgd_options{}.lr(0.15), sgd_options{}.lr(0.05).momentum(0.9),
                   sgd_options{}.lr(0.05).momentum(0.9).nesterov(true),
                   sgd_options{}.lr(0.1).momentum(0.5).dampening(0.5)}) {
        parameter<double> x("x", tensor<double>::zeros({4}));
        std::vector<parameter<double>*> list{&x};
        sgd opt(list, o);
        const double d = quadratic_distance(opt, x, 400);
        INFO("momentum ", o.momentum(), " nesterov ", o.nesterov(), " dampening ", o.dampening(), ": distance ", d);
        CHECK(d < 1e-6);
    }
    // Weight decay pulls the minimum towards 0: x* = a·c / (a + wd).
    parameter<double> x("x", tensor<double>::zeros({4}));
    std::vector<parameter<double>*> list{&x};
    sgd opt(list, sgd_options{}.lr(0.05).momentum(0.9).weight_decay(1.0));
    quadratic_distance(opt, x, 600);
    const auto v = x.value().to_vector();
    CHECK(v[0] == doctest::Approx(1.0 * 1.0 / 2.0).epsilon(1e-9));
    CHECK(v[3] == doctest::Approx(10.0 * 3.0 / 11.0).epsilon(1e-9));
}

TEST_CASE("sgd: frozen parameters are untouched") {
    two_params<double> ps;
    ps.p1.set_trainable(false);
    auto list = ps.list();
    sgd opt(list, sgd_options{}.lr(0.1).momentum(0.9));
    ps.set_grads(0);
    opt.step();
    opt.zero_grad();
    CHECK(ps.p1.value().to_vector() == P1);
    CHECK(ps.p1.grad().to_vector() == GRADS[0][1]);  // zero_grad leaves it too
    CHECK(ps.p1.optimizer_state().empty());
    CHECK(ps.p1.optimizer_steps() == 0);
    CHECK(ps.p0.value().to_vector() != P0);
    CHECK(ps.p0.grad().to_vector() == std::vector<double>(6, 0.0));
    CHECK(ps.p0.optimizer_steps() == 1);

    // Thawed, it takes its first step then (the momentum buffer starts from its gradient).
    ps.p1.set_trainable(true);
    opt.step();
    CHECK(ps.p1.optimizer_steps() == 1);
    check_close(ps.p1.optimizer_state()[0].to_vector(), GRADS[0][1].data(), 4, 0);
}

TEST_CASE("sgd: set_lr changes the step") {
    // p = 1, g = 1: lr 0.1 then lr 0.5 → 1 - 0.1 - 0.5 = 0.4
    parameter<double> p("p", tensor<double>::ones({1}));
    std::vector<parameter<double>*> list{&p};
    sgd opt(list, sgd_options{}.lr(0.1));
    p.grad().fill_(1);
    opt.step();
    opt.set_lr(0.5);
    CHECK(opt.lr() == 0.5);
    opt.step();
    CHECK(p.value().item() == doctest::Approx(0.4).epsilon(1e-15));
}

TEST_CASE("sgd: option validation names the option") {
    parameter<double> p("p", tensor<double>::ones({1}));
    std::vector<parameter<double>*> list{&p};
    using doctest::Contains;
    CHECK_THROWS_WITH_AS(sgd(list, sgd_options{}), Contains("lr is required"), config_error);
    CHECK_THROWS_WITH_AS(sgd(list, sgd_options{}.lr(-0.1)), Contains("lr must be >= 0"), config_error);
    CHECK_THROWS_WITH_AS(sgd(list, sgd_options{}.lr(0.1).momentum(-1)), Contains("momentum"), config_error);
    CHECK_THROWS_WITH_AS(sgd(list, sgd_options{}.lr(0.1).weight_decay(-1)), Contains("weight_decay"), config_error);
    CHECK_THROWS_WITH_AS(sgd(list, sgd_options{}.lr(0.1).nesterov(true)), Contains("nesterov needs momentum > 0"),
                         config_error);
    CHECK_THROWS_WITH_AS(sgd(list, sgd_options{}.lr(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
                         Contains("dampening = 0"), config_error);
    CHECK_NOTHROW(sgd(list, sgd_options{}.lr(0).momentum(0.9).nesterov(true)));

    sgd opt(list, sgd_options{}.lr(0.1));
    CHECK_THROWS_WITH_AS(opt.set_lr(-1), Contains("lr must be >= 0"), config_error);
    CHECK(opt.lr() == 0.1);

    std::vector<parameter<double>*> twice{&p, &p};
    CHECK_THROWS_WITH_AS(sgd(twice, sgd_options{}.lr(0.1)), Contains("'p' is given twice"), config_error);
    std::vector<parameter<double>*> null{&p, nullptr};
    CHECK_THROWS_WITH_AS(sgd(null, sgd_options{}.lr(0.1)), Contains("pointer 1 is null"), config_error);
}

TEST_CASE("sgd: no allocation after the first step") {
    two_params<float> ps;
    auto list = ps.list();
    sgd opt(list, sgd_options{}.lr(0.01).momentum(0.9).nesterov(true).weight_decay(1e-4));
    ps.set_grads(0);
    opt.step();
    const long probe = heap_allocations.load();
    { std::vector<int> v(3); }
    REQUIRE(heap_allocations.load() > probe);  // the counter sees allocations
    const auto backend_before = arena<cpu>::instance().stats().backend_allocations;
    const long heap_before = heap_allocations.load();
    for (int i = 0; i < 10; ++i) {
        opt.step();
        opt.zero_grad();
    }
    const long heap_after = heap_allocations.load();
    CHECK(heap_after == heap_before);
    CHECK(arena<cpu>::instance().stats().backend_allocations == backend_before);
}
