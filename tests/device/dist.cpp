// Distributions on the device backend: densities, entropies, KL divergences and
// their gradients match the cpu backend, and draws from one generator state are
// the cpu backend's draws (Philox counters do not depend on who computes them).
#include "compare.hpp"

#include <latent/dist/dist.hpp>

using namespace latent;
using device_test::both;
using device_test::check_close;
using device_test::check_equal;
using device_test::check_op;
using device_test::random_tensor;

TEST_CASE("device dist: normal and laplace log_prob, entropy and rsample match the cpu backend") {
    const auto x = random_tensor({6, 5}, 1, -2, 2), loc = random_tensor({6, 5}, 2, -1, 1),
               scale = random_tensor({6, 5}, 3, 0.3, 2), prior_scale = random_tensor({1, 5}, 4, 0.3, 2);
    check_op("normal log_prob", [](const auto& v) { return dist::normal{v[1], v[2]}.log_prob(v[0]); }, {x, loc, scale});
    check_op("normal log_prob, [1, d] scale", [](const auto& v) { return dist::normal{v[1], v[2]}.log_prob(v[0]); },
             {x, loc, prior_scale});
    check_op("normal entropy", [](const auto& v) { return dist::normal{v[0], v[1]}.entropy(); }, {loc, scale});
    check_op("normal rsample", [](const auto& v) { generator g(8, 2); return dist::normal{v[0], v[1]}.rsample(g); },
             {loc, scale});
    check_op("normal_from_params log_prob",
             [](const auto& v) { return dist::normal_from_params(v[1]).log_prob(v[0]); },
             {random_tensor({6, 2}, 5), random_tensor({6, 4}, 6)});
    check_op("laplace log_prob", [](const auto& v) { return dist::laplace{v[1], v[2]}.log_prob(v[0]); }, {x, loc, scale});
    check_op("laplace entropy", [](const auto& v) { return dist::laplace{v[0], v[1]}.entropy(); }, {loc, scale});
    check_op("laplace rsample", [](const auto& v) { generator g(8, 2); return dist::laplace{v[0], v[1]}.rsample(g); },
             {loc, scale});
}

TEST_CASE("device dist: analytic and Monte Carlo KL match the cpu backend") {
    const auto ql = random_tensor({6, 5}, 11), qs = random_tensor({6, 5}, 12, 0.3, 2), pl = random_tensor({1, 5}, 13),
               ps = random_tensor({1, 5}, 14, 0.3, 2);
    check_op("kl", [](const auto& v) { return dist::kl(dist::normal{v[0], v[1]}, dist::normal{v[2], v[3]}); },
             {ql, qs, pl, ps});
    check_op("kl_standard_normal", [](const auto& v) { return dist::kl_standard_normal(dist::normal{v[0], v[1]}); },
             {ql, qs});
    check_op("kl_monte_carlo",
             [](const auto& v) {
                 generator g(3);
                 return dist::kl_monte_carlo(dist::normal{v[0], v[1]}, dist::normal{v[2], v[3]}, g, 2);
             },
             {ql, qs, pl, ps});
}

TEST_CASE("device dist: bernoulli and categorical match the cpu backend, draws included") {
    const auto logits = random_tensor({6, 5}, 21, -3, 3), targets = random_tensor({6, 5}, 22, 0, 1);
    check_op("bernoulli log_prob", [](const auto& v) { return dist::bernoulli{v[0]}.log_prob(v[1]); },
             {logits, targets});
    check_op("bernoulli entropy", [](const auto& v) { return dist::bernoulli{v[0]}.entropy(); }, {logits});
    both<std::int32_t> labels(device_test::random_labels(6, 5, 23));
    check_op("categorical log_prob labels",
             [&](const auto& v) {
                 using B = typename std::decay_t<decltype(v[0])>::backend_type;
                 return dist::categorical{v[0]}.log_prob(labels.template on<B>());
             },
             {logits});
    check_op("categorical log_prob probs", [](const auto& v) { return dist::categorical{v[0]}.log_prob(v[1]); },
             {logits, targets});
    check_op("categorical entropy", [](const auto& v) { return dist::categorical{v[0]}.entropy(); }, {logits});

    const auto big = random_tensor({200, 7}, 24, -2, 2);
    generator gc(4), gd(4);
    const dist::bernoulli<float, cpu> bc{var<float, cpu>(big)};
    const dist::bernoulli<float, device> bd{var<float, device>(big.to<device>())};
    check_equal(bc.sample(gc), bd.sample(gd), "bernoulli sample");
    const dist::categorical<float, cpu> cc{var<float, cpu>(big)};
    const dist::categorical<float, device> cd{var<float, device>(big.to<device>())};
    check_equal(cc.sample(gc), cd.sample(gd), "categorical sample");
    CHECK(gc == gd);
}
