// Fused kernels on the device backend: the reparameterised Gaussian sample with
// its KL term and the one-launch Adam/AdamW group update, against the cpu
// backend, with the number of launches each may take.
#include "compare.hpp"

#include <latent/autograd/ops/fused.hpp>

using namespace latent;
using device_test::check_close;
using device_test::check_op;
using device_test::launches;
using device_test::random_tensor;

TEST_CASE("device fused: gaussian_sample_kl forward and backward match the cpu backend") {
    for (scale_param kind : {scale_param::softplus, scale_param::log_var}) {
        CAPTURE(static_cast<int>(kind));
        const auto opt = reparam_options{}.scale(kind).floor(1e-3);
        const auto loc = random_tensor({6, 5}, 1, -2, 2), raw = random_tensor({6, 5}, 2, -3, 3);
        // The same seed on both backends: Philox gives both the same ε.
        check_op("gaussian_sample z", [&](const auto& v) { generator g(5, 1); return gaussian_sample_kl(v[0], v[1], g, opt).z; },
                 {loc, raw});
        check_op("gaussian_sample kl", [&](const auto& v) { generator g(5, 1); return gaussian_sample_kl(v[0], v[1], g, opt).kl; },
                 {loc, raw});
        check_op("gaussian_sample z + kl",
                 [&](const auto& v) {
                     generator g(5, 1);
                     const auto r = gaussian_sample_kl(v[0], v[1], g, opt);
                     return sum(r.z) + sum(r.kl);
                 },
                 {loc, raw});
    }
}

TEST_CASE("device fused: gaussian_sample_kl is one launch forward and one per output backward") {
    parameter<float, device> loc("loc", random_tensor({64, 8}, 3).to<device>());
    parameter<float, device> raw("raw", random_tensor({64, 8}, 4).to<device>());
    generator gen(11);
    const std::uint64_t l0 = launches();
    const auto r = gaussian_sample_kl(loc.as_var(), raw.as_var(), gen);
    CHECK(launches() - l0 == 1);
    // Backward from z alone: one fused kernel, then the tape's one accumulation into each parameter.
    auto gz = tensor<float, device>::ones(r.z.shape());
    auto gk = tensor<float, device>::ones(r.kl.shape());
    const std::uint64_t l1 = launches();
    tape<float, device>::current().backward(r.z, gz, {.retain_graph = true});
    CHECK(launches() - l1 == 1 + 2);
    const std::uint64_t l2 = launches();
    tape<float, device>::current().backward(r.kl, gk);
    CHECK(launches() - l2 == 1 + 2);
}

namespace {
template <class B>
std::vector<parameter<float, B>> group_params() {
    std::vector<parameter<float, B>> ps;
    ps.emplace_back("w1", random_tensor({7, 300}, 21).template to<B>());  // spans several chunks
    ps.emplace_back("b1", random_tensor({300}, 22).template to<B>());
    ps.emplace_back("w2", random_tensor({1, 3}, 23).template to<B>());    // smaller than one chunk
    ps.emplace_back("frozen", random_tensor({5}, 24).template to<B>());
    return ps;
}
template <class B>
std::vector<parameter<float, B>*> ptrs(std::vector<parameter<float, B>>& ps) {
    std::vector<parameter<float, B>*> out;
    for (auto& p : ps) out.push_back(&p);
    return out;
}
template <class B>
void grads(std::vector<parameter<float, B>>& ps, std::uint32_t t) {
    for (std::size_t i = 0; i < ps.size(); ++i)
        ps[i].grad().copy_(random_tensor(ps[i].shape(), 500 + 10 * t + std::uint32_t(i), -2, 2).template to<B>());
}
}  // namespace

TEST_CASE("device fused: adam and adamw update a whole group in one launch, as the cpu backend does") {
    for (int variant = 0; variant < 3; ++variant) {
        CAPTURE(variant);
        auto pc = group_params<cpu>();
        auto pd = group_params<device>();
        pc[3].set_trainable(false);
        pd[3].set_trainable(false);
        auto run = [&](auto& oc, auto& od) {
            for (std::uint32_t t = 0; t < 4; ++t) {
                if (t == 2) {  // thaw one parameter mid-way: its own step count starts at 1, the table is rebuilt
                    pc[3].set_trainable(true);
                    pd[3].set_trainable(true);
                }
                grads(pc, t);
                grads(pd, t);
                oc.step();
                const std::uint64_t l0 = launches(), h0 = device_stats().host_transfers.load();
                od.step();
                CHECK(launches() - l0 == 1);
                // The table (two uploads) only when it is (re)built; the per-step scalars only while the
                // parameters' step counts differ (after the thaw), else they are kernel arguments.
                const std::uint64_t uploads = device_stats().host_transfers.load() - h0;
                CHECK(uploads == (t == 0 ? 2u : t == 1 ? 0u : t == 2 ? 3u : 1u));
                for (std::size_t i = 0; i < pc.size(); ++i) {
                    check_close(pc[i].value(), pd[i].value(), "value of " + pc[i].name());
                    CHECK(pc[i].optimizer_steps() == pd[i].optimizer_steps());
                }
            }
        };
        if (variant == 0) {
            adam oc(ptrs(pc), adam_options{}.lr(0.01));
            adam od(ptrs(pd), adam_options{}.lr(0.01));
            run(oc, od);
        } else if (variant == 1) {
            adam oc(ptrs(pc), adam_options{}.lr(0.01).weight_decay(0.1).amsgrad(true));
            adam od(ptrs(pd), adam_options{}.lr(0.01).weight_decay(0.1).amsgrad(true));
            run(oc, od);
        } else {
            adamw oc(ptrs(pc), adamw_options{}.lr(0.02).betas(0.8, 0.99));
            adamw od(ptrs(pd), adamw_options{}.lr(0.02).betas(0.8, 0.99));
            run(oc, od);
        }
    }
}

TEST_CASE("device fused: the group update's first Adam step moves every element by -lr·g/(|g| + eps)") {
    // By hand: m = (1-β1)g, v = (1-β2)g², bc1 = 1-β1, bc2 = 1-β2, so the step is lr·g/(|g| + eps),
    // whichever parameter and chunk an element falls in.
    auto pc = group_params<cpu>();
    auto pd = group_params<device>();
    grads(pc, 7);
    grads(pd, 7);
    std::vector<std::vector<float>> before, g;
    for (auto& p : pc) {
        before.push_back(p.value().to_vector());
        g.push_back(p.grad().to_vector());
    }
    adam oc(ptrs(pc), adam_options{}.lr(0.05).eps(1e-3));
    adam od(ptrs(pd), adam_options{}.lr(0.05).eps(1e-3));
    oc.step();
    od.step();
    for (std::size_t k = 0; k < pc.size(); ++k) {
        const auto vc = pc[k].value().to_vector(), vd = pd[k].value().to_vector();
        std::size_t bad = 0;
        for (std::size_t i = 0; i < vc.size(); ++i) {
            const double want = before[k][i] - 0.05 * g[k][i] / (std::fabs(g[k][i]) + 1e-3);
            bad += !(std::fabs(vc[i] - want) <= 1e-6 + 1e-5 * std::fabs(want));
            bad += !(std::fabs(vd[i] - want) <= 1e-6 + 1e-5 * std::fabs(want));
        }
        CHECK_MESSAGE(bad == 0, pc[k].name());
    }
}
