// Optimizers and gradient clipping on the device backend: the same steps from
// the same values and gradients as on the cpu backend.
#include "compare.hpp"

using namespace latent;
using device_test::check_close;
using device_test::launches;
using device_test::random_tensor;

namespace {
/// Two parameters on each backend with the same values.
template <class B>
std::vector<parameter<float, B>> make_params() {
    std::vector<parameter<float, B>> ps;
    ps.emplace_back("w", random_tensor({4, 3}, 1).template to<B>());
    ps.emplace_back("b", random_tensor({3}, 2).template to<B>());
    return ps;
}
template <class B>
std::vector<parameter<float, B>*> pointers(std::vector<parameter<float, B>>& ps) {
    std::vector<parameter<float, B>*> out;
    for (auto& p : ps) out.push_back(&p);
    return out;
}
/// Gives step `t`'s gradients (the same on both backends; some tiny, some large).
template <class B>
void set_grads(std::vector<parameter<float, B>>& ps, std::uint32_t t) {
    for (std::size_t i = 0; i < ps.size(); ++i) {
        const auto seed = 100 + 10 * t + static_cast<std::uint32_t>(i);
        ps[i].grad().copy_(random_tensor(ps[i].shape(), seed, -3, 3).template to<B>());
    }
}

/// Three steps of make(ps) on both backends; values and optimizer state compared after each.
template <class Make>
void check_steps(const char* what, Make make) {
    CAPTURE(what);
    auto pc = make_params<cpu>();
    auto pd = make_params<device>();
    auto oc = make(pointers(pc));
    auto od = make(pointers(pd));
    for (std::uint32_t t = 0; t < 3; ++t) {
        set_grads(pc, t);
        set_grads(pd, t);
        oc.step();
        const std::uint64_t l0 = launches();
        od.step();
        CHECK(launches() - l0 >= 1);  // adam and adamw: one launch for the group; sgd: one per parameter
        for (std::size_t i = 0; i < pc.size(); ++i) {
            check_close(pc[i].value(), pd[i].value(), std::string(what) + " value of " + pc[i].name());
            REQUIRE(pc[i].optimizer_state().size() == pd[i].optimizer_state().size());
            for (std::size_t k = 0; k < pc[i].optimizer_state().size(); ++k)
                check_close(pc[i].optimizer_state()[k], pd[i].optimizer_state()[k],
                            std::string(what) + " state " + std::to_string(k) + " of " + pc[i].name());
            CHECK(pc[i].optimizer_steps() == pd[i].optimizer_steps());
        }
    }
}
}  // namespace

TEST_CASE("device optim: adam and adamw steps equal the cpu backend's") {
    check_steps("adam", [](auto ps) { return adam(ps, adam_options{}.lr(0.01)); });
    check_steps("adam amsgrad wd",
                [](auto ps) { return adam(ps, adam_options{}.lr(0.01).weight_decay(0.1).amsgrad(true)); });
    check_steps("adamw", [](auto ps) { return adamw(ps, adamw_options{}.lr(0.01).betas(0.8, 0.99)); });
}

TEST_CASE("device optim: sgd steps equal the cpu backend's") {
    check_steps("sgd", [](auto ps) { return sgd(ps, sgd_options{}.lr(0.1)); });
    check_steps("sgd momentum", [](auto ps) { return sgd(ps, sgd_options{}.lr(0.1).momentum(0.9).dampening(0.1)); });
    check_steps("sgd nesterov wd",
                [](auto ps) { return sgd(ps, sgd_options{}.lr(0.1).momentum(0.9).nesterov(true).weight_decay(0.01)); });
}

TEST_CASE("device optim: clip_grad_norm gives the cpu backend's norm and clipped gradients") {
    for (double order : {2.0, 1.0, 3.0, double(INFINITY)}) {
        CAPTURE(order);
        auto pc = make_params<cpu>();
        auto pd = make_params<device>();
        set_grads(pc, 0);
        set_grads(pd, 0);
        const double nc = clip_grad_norm(pointers(pc), 0.5, order);
        const std::uint64_t l0 = launches();
        const double nd = clip_grad_norm(pointers(pd), 0.5, order);
        CHECK(launches() > l0);
        CHECK(nd == doctest::Approx(nc).epsilon(1e-5));
        for (std::size_t i = 0; i < pc.size(); ++i) check_close(pc[i].grad(), pd[i].grad(), "clipped " + pc[i].name());
    }
}
