#include <latent/optim/adam.hpp>
#include <latent/optim/schedule.hpp>
#include <latent/optim/sgd.hpp>

#include "fixture.hpp"

using namespace latent;
using namespace optim_test;

// Printed by tests/reference/optim.py (torch.optim.lr_scheduler, base lr 0.5): the lr in force
// during epochs 0..9, scheduler.step() called after each epoch.
namespace torch_ref {
const double multi_step[10] = {0.5, 0.5, 0.05, 0.05, 0.05, 0.0005000000000000001, 0.0005000000000000001, 5.0000000000000016e-05, 5.0000000000000016e-05, 5.0000000000000016e-05};
const double exponential[10] = {0.5, 0.45, 0.405, 0.36450000000000005, 0.32805000000000006, 0.2952450000000001, 0.2657205000000001, 0.23914845000000007, 0.21523360500000008, 0.19371024450000007};
}  // namespace torch_ref

namespace {
struct one_param {
    parameter<double> p{"p", tensor<double>::zeros({1})};
    std::vector<parameter<double>*> list{&p};
};
}  // namespace

TEST_CASE("schedule: multi_step_lr by hand") {
    // lr 1, γ 0.5, milestones {3, 1} (order does not matter):
    // epoch 0: 1; epochs 1-2: 0.5 (one milestone passed); epoch 3 on: 0.25
    one_param f;
    sgd opt(f.list, sgd_options{}.lr(1));
    multi_step_lr sched(opt, {3, 1}, 0.5);
    const double want[] = {1, 0.5, 0.5, 0.25, 0.25, 0.25};
    for (int e = 0; e < 6; ++e) {
        CHECK(sched.last_epoch() == e);
        CHECK(opt.lr() == want[e]);
        CHECK(sched.lr() == want[e]);
        sched.step();
    }
    CHECK(sched.base_lr() == 1);
    CHECK(sched.milestones() == std::vector<int>{1, 3});
}

TEST_CASE("schedule: exponential_lr by hand") {
    // lr 2, γ 0.5: 2, 1, 0.5, 0.25
    one_param f;
    adam opt(f.list, adam_options{}.lr(2));
    exponential_lr sched(opt, 0.5);
    for (double want : {2.0, 1.0, 0.5, 0.25}) {
        CHECK(opt.lr() == want);
        sched.step();
    }
    CHECK(sched.last_epoch() == 4);
}

TEST_CASE("schedule: values match torch.optim.lr_scheduler") {
    one_param f;
    SUBCASE("MultiStepLR, milestones 2, 5, 5, 7 (5 twice: γ² there), γ 0.1") {
        sgd opt(f.list, sgd_options{}.lr(0.5));
        multi_step_lr sched(opt, {2, 5, 5, 7}, 0.1);
        for (int e = 0; e < 10; ++e) {
            INFO("epoch ", e);
            CHECK(opt.lr() == doctest::Approx(torch_ref::multi_step[e]).epsilon(1e-14));
            sched.step();
        }
    }
    SUBCASE("ExponentialLR, γ 0.9") {
        adamw opt(f.list, adamw_options{}.lr(0.5));
        exponential_lr sched(opt, 0.9);
        for (int e = 0; e < 10; ++e) {
            INFO("epoch ", e);
            CHECK(opt.lr() == doctest::Approx(torch_ref::exponential[e]).epsilon(1e-14));
            sched.step();
        }
    }
}

TEST_CASE("schedule: set_last_epoch resumes a run") {
    // A run of 7 epochs, and a resumed one: optimizer rebuilt from its options,
    // schedule rebuilt, set_last_epoch(4); both then agree epoch by epoch.
    one_param a, b;
    sgd run(a.list, sgd_options{}.lr(0.5));
    multi_step_lr run_sched(run, {2, 5}, 0.1);
    for (int e = 0; e < 4; ++e) run_sched.step();

    sgd resumed(b.list, sgd_options{}.lr(0.5));
    multi_step_lr resumed_sched(resumed, {2, 5}, 0.1);
    resumed_sched.set_last_epoch(run_sched.last_epoch());
    CHECK(resumed_sched.last_epoch() == 4);
    for (int e = 4; e < 7; ++e) {
        CHECK(resumed.lr() == run.lr());
        run_sched.step();
        resumed_sched.step();
    }
    CHECK(resumed.lr() == doctest::Approx(0.5 * 0.01).epsilon(1e-15));

    // Going back works too: the lr is a closed form of the epoch.
    resumed_sched.set_last_epoch(0);
    CHECK(resumed.lr() == 0.5);
    exponential_lr exp_sched(resumed, 0.5);  // base lr 0.5 again
    exp_sched.set_last_epoch(3);
    CHECK(resumed.lr() == 0.0625);
    CHECK(exp_sched.lr_at(1) == 0.25);
}

TEST_CASE("schedule: validation") {
    one_param f;
    sgd opt(f.list, sgd_options{}.lr(0.5));
    using doctest::Contains;
    CHECK_THROWS_WITH_AS(multi_step_lr(opt, {1}, -0.1), Contains("multi_step_lr: gamma"), config_error);
    CHECK_THROWS_WITH_AS(exponential_lr(opt, -2.0), Contains("exponential_lr: gamma"), config_error);
    exponential_lr sched(opt, 0.9);
    CHECK_THROWS_WITH_AS(sched.set_last_epoch(-1), Contains("last_epoch"), config_error);
    CHECK(sched.last_epoch() == 0);
}
