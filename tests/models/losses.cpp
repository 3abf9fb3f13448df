// Every loss term of the composed models against values worked out in this file, by plain
// loops in double, on tiny networks whose weights are fixed (MODELS.md §1–4).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>
#include <string>
#include <vector>

#include "latent/models/cond_vae.hpp"
#include "latent/models/csvae.hpp"
#include "latent/models/networks.hpp"
#include "latent/models/swap.hpp"
#include "latent/models/vae.hpp"
#include "latent/objectives/gan.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;


TEST_CASE("losses: CSVAE's M1 and M2 term by term (element-mean squared error, switch prior, entropy adversary)") {
    const data::example_layout points{{2}, 1, 2, {"half"}};
    auto m = csvae<squared_error_likelihood>::build(
        cpu{}, points, linear_networks(),
        csvae_paper_weights(model_options{}.size("z", 1).size("w", 1).reconstruction(reduction::mean)), 3);
    const auto w = fix_weights(m);
    const vec xs{0.5, -1.0, 2.0, 0.25};
    const std::vector<std::int32_t> ys{1, 0};
    const auto eps = normals(m.rng(), 2, 2);
    const auto l = m.losses(tensor<double, cpu>::from_host({2, 2}, xs), tensor<std::int32_t, cpu>::from_host({2, 1}, ys));

    double recon = 0, kl_z = 0, kl_w = 0, entropy = 0, adversary = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const vec x{xs[2 * i], xs[2 * i + 1]};
        const double y = ys[i];
        const vec qz = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);
        const vec qw = affine(w.at("head.w.weight"), w.at("head.w.bias"), {x[0], x[1], y});
        const double z = qz[0] + scale_of(qz[1]) * eps[0][i], wv = qw[0] + scale_of(qw[1]) * eps[1][i];
        const vec out = affine(w.at("decoder.weight"), w.at("decoder.bias"), {z, wv});
        recon += ((x[0] - out[0]) * (x[0] - out[0]) + (x[1] - out[1]) * (x[1] - out[1])) / 2;
        kl_z += kl_normal(qz[0], scale_of(qz[1]), 0, 1);
        kl_w += y == 1 ? kl_normal(qw[0], scale_of(qw[1]), 3, 1) : kl_normal(qw[0], scale_of(qw[1]), 0, 0.1);
        const double a = affine(w.at("adversary.z.weight"), w.at("adversary.z.bias"), {z})[0], p = sigmoid(a);
        entropy += -p * std::log(p) - (1 - p) * std::log(1 - p);
        adversary += softplus(a) - a * y;
    }
    CHECK(term(l, "recon") == doctest::Approx(20 * recon / 2).epsilon(1e-12));
    CHECK(term(l, "kl.z") == doctest::Approx(0.2 * kl_z / 2).epsilon(1e-12));
    CHECK(term(l, "kl.w") == doctest::Approx(1.0 * kl_w / 2).epsilon(1e-12));
    CHECK(term(l, "entropy.z") == doctest::Approx(-10 * entropy / 2).epsilon(1e-12));
    CHECK(term(l, "adversary.z") == doctest::Approx(adversary / 2).epsilon(1e-12));
    CHECK(l.main.item() == doctest::Approx((20 * recon + 0.2 * kl_z + kl_w - 10 * entropy) / 2).epsilon(1e-12));
    REQUIRE(l.others.size() == 1);
    CHECK(l.others[0].group == "adversary.z");
}

TEST_CASE("losses: CondVAE-info with a categorical label (one-hot conditioning, summed Bernoulli, CE adversary)") {
    const data::example_layout images{{1, 1, 2}, 1, 3, {"class"}};
    auto m = cond_vae_info<>::build(cpu{}, images, linear_networks(),
                                    model_options{}.size("z", 1).weight("ce.z", 0.5).weight("adversary.z", 2), 9);
    const auto w = fix_weights(m);
    const vec xs{0.2, 0.9, 1.0, 0.0};
    const std::vector<std::int32_t> ys{2, 0};
    const auto eps = normals(m.rng(), 2, 1);
    const auto l = m.losses(tensor<double, cpu>::from_host({2, 1, 1, 2}, xs), tensor<std::int32_t, cpu>::from_host({2, 1}, ys));

    double recon = 0, kl = 0, ce = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const vec x{xs[2 * i], xs[2 * i + 1]};
        vec onehot(3, 0.0);
        onehot[static_cast<std::size_t>(ys[i])] = 1;
        const vec q = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);  // q(z|x): no labels
        const double z = q[0] + scale_of(q[1]) * eps[0][i];
        const vec logits = affine(w.at("decoder.weight"), w.at("decoder.bias"), {z, onehot[0], onehot[1], onehot[2]});
        for (int j = 0; j < 2; ++j) recon += softplus(logits[j]) - logits[j] * x[j];
        kl += kl_normal(q[0], scale_of(q[1]), 0, 1);
        const vec a = affine(w.at("adversary.z.weight"), w.at("adversary.z.bias"), {z});
        const double lse = std::log(std::exp(a[0]) + std::exp(a[1]) + std::exp(a[2]));
        ce += lse - a[static_cast<std::size_t>(ys[i])];
    }
    CHECK(term(l, "recon") == doctest::Approx(recon / 2).epsilon(1e-12));
    CHECK(term(l, "kl.z") == doctest::Approx(kl / 2).epsilon(1e-12));
    CHECK(term(l, "ce.z") == doctest::Approx(-0.5 * ce / 2).epsilon(1e-12));
    CHECK(term(l, "adversary.z") == doctest::Approx(2 * ce / 2).epsilon(1e-12));
}

TEST_CASE("losses: β-VAE's KL weight and the decoder's Bernoulli mean") {
    const data::example_layout flat{{3}, 1, 2, {}};
    auto m = beta_vae<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 2).weight("kl.z", 4), 1);
    const auto w = fix_weights(m);
    const vec xs{0.0, 0.5, 1.0};
    const auto eps = normals(m.rng(), 1, 2);  // one [1, 2] draw is the same numbers as two [1, 1] draws
    const auto l = m.losses(tensor<double, cpu>::from_host({1, 3}, xs), tensor<std::int32_t, cpu>::from_host({1, 1}, {0}));
    const vec q = affine(w.at("head.z.weight"), w.at("head.z.bias"), xs);
    const double kl = kl_normal(q[0], scale_of(q[2]), 0, 1) + kl_normal(q[1], scale_of(q[3]), 0, 1);
    CHECK(term(l, "kl.z") == doctest::Approx(4 * kl).epsilon(1e-12));
    const vec z{q[0] + scale_of(q[2]) * eps[0][0], q[1] + scale_of(q[3]) * eps[1][0]};
    const vec logits = affine(w.at("decoder.weight"), w.at("decoder.bias"), z);
    double recon = 0;
    for (int j = 0; j < 3; ++j) recon += softplus(logits[j]) - logits[j] * xs[j];
    CHECK(term(l, "recon") == doctest::Approx(recon).epsilon(1e-12));
    // decode() gives the Bernoulli mean of the decoder at the posterior mean.
    const vec mean_logits = affine(w.at("decoder.weight"), w.at("decoder.bias"), {q[0], q[1]});
    const auto rec = m.reconstruct(tensor<double, cpu>::from_host({1, 3}, xs), tensor<std::int32_t, cpu>::from_host({1, 1}, {0}));
    for (int j = 0; j < 3; ++j) CHECK(rec.to_vector()[j] == doctest::Approx(sigmoid(mean_logits[j])).epsilon(1e-12));
}

TEST_CASE("losses: the likelihoods' negative log-likelihoods per element") {
    const model_options o = model_options{}.set("likelihood.sigma", 0.5).set("likelihood.scale", 2.0);
    const likelihood_args a{2, o};
    const var<double, cpu> out(tensor<double, cpu>::from_host({1, 2}, {0.3, -1.0}));
    const var<double, cpu> x(tensor<double, cpu>::from_host({1, 2}, {1.0, 0.5}));
    const double pi = 3.14159265358979323846;
    const auto g = gaussian_likelihood::impl<double, cpu>(a).nll_elements(out, x).value().to_vector();
    CHECK(g[0] == doctest::Approx(0.5 * (0.7 / 0.5) * (0.7 / 0.5) + std::log(0.5) + 0.5 * std::log(2 * pi)));
    const auto lap = laplace_likelihood::impl<double, cpu>(a).nll_elements(out, x).value().to_vector();
    CHECK(lap[1] == doctest::Approx(1.5 / 2 + std::log(4.0)));
    const auto se = squared_error_likelihood::impl<double, cpu>(a).nll_elements(out, x).value().to_vector();
    CHECK(se[1] == doctest::Approx(2.25));
    const auto learned = gaussian_learned_sigma_likelihood::impl<double, cpu>(a).nll_elements(out, x).value().to_vector();
    CHECK(learned[0] == doctest::Approx(g[0]));  // starts at σ = likelihood.sigma
    const auto bern = bernoulli_likelihood::impl<double, cpu>(a).nll_elements(out, x).value().to_vector();
    CHECK(bern[0] == doctest::Approx(softplus(0.3) - 0.3));
}

TEST_CASE("losses: a setting that no policy reads is refused by name") {
    const data::example_layout flat{{3}, 1, 2, {}};
    CHECK_THROWS_WITH_AS(vae<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 2).weight("kl.w", 2)),
                         doctest::Contains("\"weight.kl.w\""), config_error);
    CHECK_THROWS_WITH_AS(vae<>::build(cpu{}, flat, linear_networks(), model_options{}),
                         doctest::Contains("set it with size(\"z\", n)"), config_error);
}

namespace {
/// The swap model's space (MODELS.md §7) at toy size: z stochastic, s deterministic, a GAN on s.
/// The toy swap model's codes of three 2-pixel inputs: z1 = μ + σ·ε and s, by hand.
std::pair<vec, vec> swap_codes(const std::map<std::string, vec>& w, const vec& xs, const vec& eps) {
    vec z(3), s(3);
    for (std::size_t i = 0; i < 3; ++i) {
        const vec x{xs[2 * i], xs[2 * i + 1]};
        const vec q = affine(w.at("head.z.weight"), w.at("head.z.bias"), x);
        z[i] = q[0] + scale_of(q[1]) * eps[i];
        s[i] = affine(w.at("head.s.weight"), w.at("head.s.bias"), x)[0];
    }
    return {z, s};
}
/// linear_networks() but for the discriminator: an MLP with one hidden layer of 3 units, so that
/// a lookup table conditions its hidden layer on the label.
networks<double, cpu> linear_networks_conditioned_discriminator() {
    networks<double, cpu> n = linear_networks();
    n.make = [linear = n.make](const net_request& r, generator& gen) -> std::unique_ptr<nn::module<double, cpu>> {
        return r.role == net_role::discriminator ? mlp_networks<double, cpu>({3}).make(r, gen) : linear(r, gen);
    };
    return n;
}
using toy_swap = model<partition<block<"z", 1, standard_normal, gaussian_posterior<from_x>>,
                                 block<"s", 1, no_prior, deterministic<from_x>>>,
                       bernoulli_likelihood, gan_discriminator<"s">>;
}  // namespace

TEST_CASE("losses: the GAN discriminator on swapped decodes, generator and discriminator losses term by term") {
    const data::example_layout flat{{2}, 1, 3, {"class"}};
    const auto nets = linear_networks_conditioned_discriminator();
    auto m = toy_swap::build(cpu{}, flat, nets,
                             model_options{}.weight("gan.s", 0.5).weight("discriminator", 2).set("gan.s.real_target", 0.9),
                             4);
    const auto w = fix_weights(m);
    const vec xs{0.2, 0.9, 1.0, 0.0, 0.4, 0.6};
    const std::vector<std::int32_t> ys{0, 0, 1};
    // The draws in the model's order: z's noise, the partners' uniforms, the dreamt z's noise.
    generator g = m.rng();
    const auto eps = normals(g, 3, 1)[0];
    g.take(3);  // normals() drew from a copy
    auto u_t = tensor<double, cpu>::zeros({3});
    uniform_(u_t, g);
    const vec u = u_t.to_vector();
    const auto dreamt = normals(g, 3, 1)[0];
    const auto l = m.losses(tensor<double, cpu>::from_host({3, 2}, xs), tensor<std::int32_t, cpu>::from_host({3, 1}, ys));

    const auto [z, s] = swap_codes(w, xs, eps);
    // Partners of another label: 0 → 2, 1 → 2, 2 → 0 or 1 by its uniform.
    const std::size_t partner[3] = {2, 2, u[2] < 0.5 ? 0u : 1u};
    auto image = [&](double zi, double si) {
        const vec logits = affine(w.at("decoder.weight"), w.at("decoder.bias"), {zi, si});
        return vec{sigmoid(logits[0]), sigmoid(logits[1])};
    };
    // D(x, id) = W2·relu(W1·x + b1 + T[id]) + b2: one table, at its hidden layer.
    REQUIRE(m.term<gan_discriminator<"s">>().tables() == 1);
    std::vector<vec> p;  // W1 b1 W2 b2 T
    for (auto* q : m.parameters("discriminator")) p.push_back(q->value().to_vector());
    REQUIRE(p.size() == 5);
    auto d_logit = [&](const vec& img, std::int32_t id) {
        vec h = affine(p[0], p[1], img);
        for (std::size_t k = 0; k < 3; ++k) h[k] = std::max(h[k] + p[4][static_cast<std::size_t>(id) * 3 + k], 0.0);
        return affine(p[2], p[3], h)[0];
    };
    // Every image is judged under its partner's label id2, never its own: the two differ here.
    REQUIRE(d_logit({0.2, 0.9}, 0) != doctest::Approx(d_logit({0.2, 0.9}, 1)));
    double gen_swapped = 0, gen_dreamt = 0, d_fake = 0, d_real = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const std::size_t j = partner[i];
        const std::int32_t id2 = ys[j];
        const double lf = d_logit(image(z[i], s[j]), id2);
        const double ld = d_logit(image(dreamt[i], s[j]), id2);
        gen_swapped += softplus(-lf);  // −log σ(l)
        gen_dreamt += softplus(-ld);
        d_fake += softplus(lf);  // −log(1 − σ(l))
        const double lr = d_logit({xs[2 * j], xs[2 * j + 1]}, id2);  // the positive is the partner x2
        d_real += softplus(lr) - 0.9 * lr;  // −[t·log σ(l) + (1 − t)·log(1 − σ(l))]
    }
    CHECK(term(l, "gan.s") == doctest::Approx(0.5 * (gen_swapped + gen_dreamt) / 3).epsilon(1e-12));
    CHECK(term(l, "discriminator") == doctest::Approx(2 * (d_fake + d_real) / 3).epsilon(1e-12));
    REQUIRE(l.others.size() == 1);
    CHECK(l.others[0].group == "discriminator");
    CHECK(l.others[0].step);  // no gate by default
    // D's accuracy: positives (the partners) above ½, swapped fakes below.
    double right = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        const std::int32_t id2 = ys[partner[i]];
        right += d_logit({xs[2 * partner[i]], xs[2 * partner[i] + 1]}, id2) > 0;
        right += d_logit(image(z[i], s[partner[i]]), id2) < 0;
    }
    CHECK(term(l, "gan.s.d_accuracy") == doctest::Approx(right / 6));
    // Gated at a: D steps only on batches where its accuracy is under a.
    for (const double gate : {1e-9, 1.0}) {
        auto gated = toy_swap::build(cpu{}, flat, nets, model_options{}.set("gan.s.gate", gate), 4);
        fix_weights(gated);
        const auto lg =
            gated.losses(tensor<double, cpu>::from_host({3, 2}, xs), tensor<std::int32_t, cpu>::from_host({3, 1}, ys));
        CHECK(lg.others[0].step == (right / 6 < gate));
    }
    CHECK(m.groups() == std::vector<std::string>{"model", "discriminator"});

    // Without the dreamt fakes the generator has the swapped piece alone.
    auto plain = toy_swap::build(cpu{}, flat, nets, model_options{}.weight("gan.s", 0.5).set("gan.s.prior_fakes", 0), 4);
    fix_weights(plain);
    const auto lp = plain.losses(tensor<double, cpu>::from_host({3, 2}, xs), tensor<std::int32_t, cpu>::from_host({3, 1}, ys));
    CHECK(term(lp, "gan.s") == doctest::Approx(0.5 * gen_swapped / 3).epsilon(1e-12));
    CHECK_THROWS_WITH_AS(toy_swap::build(cpu{}, flat, linear_networks(), model_options{}.set("gan.s.real_target", 0)),
                         doctest::Contains("real_target"), config_error);
    CHECK_THROWS_WITH_AS(toy_swap::build(cpu{}, flat, linear_networks(), model_options{}.set("gan.s.gate", 2)),
                         doctest::Contains("gan.s.gate is 2"), config_error);
}

TEST_CASE("losses: the discriminator's lookup tables add a row per label at its first layers, not at its logit") {
    // mlp_networks({3, 2}): Adv = W3·relu(W2·relu(W1·x + b1 + T0[id]) + b2 + T1[id]) + b3.
    const data::example_layout flat{{2}, 1, 3, {"class"}};
    auto m = toy_swap::build(cpu{}, flat, mlp_networks<double, cpu>({3, 2}), {}, 4);
    fix_weights(m);
    auto& d = m.term<gan_discriminator<"s">>();
    REQUIRE(d.tables() == 2);
    std::vector<vec> p;  // in order: W1 b1 W2 b2 W3 b3, then T0 and T1
    for (auto* q : m.parameters("discriminator")) p.push_back(q->value().to_vector());
    REQUIRE(p.size() == 8);
    CHECK(p[6].size() == 3 * 3);
    CHECK(p[7].size() == 3 * 2);
    const vec x{0.3, -0.7};
    const auto relu = [](vec v) {
        for (double& e : v) e = std::max(e, 0.0);
        return v;
    };
    for (std::int32_t id = 0; id < 3; ++id) {
        vec h1 = affine(p[0], p[1], x);
        for (std::size_t k = 0; k < 3; ++k) h1[k] += p[6][static_cast<std::size_t>(id) * 3 + k];
        vec h2 = affine(p[2], p[3], relu(h1));
        for (std::size_t k = 0; k < 2; ++k) h2[k] += p[7][static_cast<std::size_t>(id) * 2 + k];
        const double want = affine(p[4], p[5], relu(h2))[0];
        label_batch<double, cpu> y;
        y.classes = tensor<std::int32_t, cpu>::from_host({1}, {id});
        CAPTURE(id);
        CHECK(d.logit(var<double, cpu>(tensor<double, cpu>::from_host({1, 2}, x)), y).item() ==
              doctest::Approx(want).epsilon(1e-12));
    }
}

TEST_CASE("losses: the swap model rebuilds x1 from z1 and the s of another image of x1's label") {
    // Labels 0 0 1: x1' of example 0 is 1 and of 1 is 0; example 2 has no other of its label: itself.
    const data::example_layout flat{{2}, 1, 3, {"class"}};
    auto m = swap_model_without_adversary<>::build(cpu{}, flat, linear_networks(),
                                                   model_options{}.size("z", 1).size("s", 1).weight("swap_recon.s", 0.5), 4);
    const auto w = fix_weights(m);
    const vec xs{0.2, 0.9, 1.0, 0.0, 0.4, 0.6};
    const std::vector<std::int32_t> ys{0, 0, 1};
    const auto eps = normals(m.rng(), 3, 1)[0];
    const auto l = m.losses(tensor<double, cpu>::from_host({3, 2}, xs), tensor<std::int32_t, cpu>::from_host({3, 1}, ys));
    const std::size_t partner[3] = {1, 0, 2};
    const auto [z, s] = swap_codes(w, xs, eps);
    const auto bernoulli_nll = [&](std::size_t i, double zi, double si) {  // summed over the two pixels
        const vec logits = affine(w.at("decoder.weight"), w.at("decoder.bias"), {zi, si});
        return softplus(logits[0]) - xs[2 * i] * logits[0] + softplus(logits[1]) - xs[2 * i + 1] * logits[1];
    };
    double own = 0, swapped = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        own += bernoulli_nll(i, z[i], s[i]);
        swapped += bernoulli_nll(i, z[i], s[partner[i]]);
    }
    CHECK(term(l, "recon") == doctest::Approx(own / 3).epsilon(1e-12));
    CHECK(term(l, "swap_recon.s") == doctest::Approx(0.5 * swapped / 3).epsilon(1e-12));
    CHECK(l.others.empty());  // the ablation has no discriminator
    CHECK(m.groups() == std::vector<std::string>{"model"});
}
