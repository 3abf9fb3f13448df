// The triplet term (objectives/triplet.hpp) and the triplet VAE (models/triplet_vae.hpp): the loss
// against the paper's two-way softmax worked out here by hand, its gradients against central
// differences, the triplets it draws, both mask policies, and a few training steps.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "latent/models/networks.hpp"
#include "latent/models/triplet_vae.hpp"
#include "latent/objectives/triplet.hpp"
#include "latent/optim/adam.hpp"
#include "latent/testing/gradcheck.hpp"
#include "../models/toy.hpp"

using namespace latent;
using vec = std::vector<double>;

namespace {

/// −log p(t) as the paper writes it, p = exp(−d_ij) / (exp(−d_ij) + exp(−d_ik)).
double paper_nll(const vec& a, const vec& j, const vec& k, const vec& m) {
    double dij = 0, dik = 0;
    for (std::size_t h = 0; h < a.size(); ++h) {
        dij += m[h] * (a[h] - j[h]) * (a[h] - j[h]);
        dik += m[h] * (a[h] - k[h]) * (a[h] - k[h]);
    }
    return -std::log(std::exp(-dij) / (std::exp(-dij) + std::exp(-dik)));
}

/// A term of type Term on a z of `dim` dims for labels of `queries` columns, outside any model.
struct fixture {
    partition_layout layout{{segment{"z", 0, 4, 4, false}}, 4};
    networks<double, cpu> nets;
    model_options options;
    generator init{7};

    explicit fixture(std::int64_t dim = 4) {
        layout.segments[0].dim = layout.segments[0].dim_per_label = dim;
        layout.total = dim;
    }
    term_args<double, cpu> args(std::int64_t queries) {
        return {layout, queries, false, nets, options, init, {2}};
    }
};

/// A training-like forward pass with latent z [n, D] and labels [n, Q].
forward_pass<double, cpu> pass(const partition_layout& layout, const var<double, cpu>& z,
                               const std::vector<std::int32_t>& labels, std::int64_t queries, generator& gen) {
    forward_pass<double, cpu> f;
    f.layout = &layout;
    f.batch = z.rows();
    f.samples = {z};
    f.y.raw = tensor<std::int32_t, cpu>::from_host({z.rows(), queries}, labels);
    f.gen = &gen;
    return f;
}

double term_value(const step_losses<double, cpu>& l, const std::string& name) {
    for (const auto& [n, v] : l.terms)
        if (n == name) return v;
    FAIL("no term " << name);
    return 0;
}

// Three examples, two queries. Query 0 (column 0): 0 0 1; query 1 (column 1): 0 1 1. Every valid
// anchor has exactly one j and one k, so the draw is known: under query 0, 0 → (1, 2) and
// 1 → (0, 2), 2 has no j; under query 1, 1 → (2, 0) and 2 → (1, 0), 0 has no j.
const std::vector<std::int32_t> tiny_labels{0, 0, 0, 1, 1, 1};
const vec tiny_z{0.1, -0.3, 0.5, 0.2, 0.4, 0.0, -0.2, 0.7, -0.5, 0.6, 0.3, -0.1};
vec row(const vec& z, std::size_t i) { return vec(z.begin() + 4 * i, z.begin() + 4 * i + 4); }

}  // namespace

TEST_CASE("triplet: the loss on a fixed batch is the mean −log of the paper's two-way softmax over the valid triplets") {
    fixture fx;
    fx.options.weight("triplet", 0.5);
    triplet_constraint<"z", fixed_masks>::impl<double, cpu> term(fx.args(2));
    CHECK(term.queries() == 2);
    const vec m0{1, 1, 0, 0}, m1{0, 0, 1, 1};
    CHECK(term.masks() == std::vector<vec>{m0, m1});  // default ⌊4 / 2⌋ = 2 dims each

    generator gen(3);
    const auto f = pass(fx.layout, var<double, cpu>(tensor<double, cpu>::from_host({3, 4}, tiny_z)), tiny_labels, 2, gen);
    step_losses<double, cpu> out;
    term.add(f, out);
    const auto z = [&](std::size_t i) { return row(tiny_z, i); };
    const double expected = (paper_nll(z(0), z(1), z(2), m0) + paper_nll(z(1), z(0), z(2), m0) +
                             paper_nll(z(1), z(2), z(0), m1) + paper_nll(z(2), z(1), z(0), m1)) / 4;
    CHECK(expected > 0.1);  // the example is not degenerate
    CHECK(term_value(out, "triplet") == doctest::Approx(0.5 * expected).epsilon(1e-12));
    CHECK(out.main.item() == doctest::Approx(0.5 * expected).epsilon(1e-12));
    CHECK(term.last_triplets().count() == 4);
    CHECK(term.last_triplets().same == std::vector<std::int64_t>{1, 0, -1, -1, 2, 1});
    CHECK(term.last_triplets().other == std::vector<std::int64_t>{2, 2, -1, -1, 0, 0});
}

TEST_CASE("triplet: fixed masks follow triplet.mask_dims, leave free dims, and refuse too many dims") {
    fixture fx(7);
    fx.options.set("triplet.mask_dims", 3);
    triplet_constraint<"z">::impl<double, cpu> term(fx.args(2));
    CHECK(term.mask_impl().dims_per_query() == 3);
    CHECK(term.masks() == std::vector<vec>{{1, 1, 1, 0, 0, 0, 0}, {0, 0, 0, 1, 1, 1, 0}});

    fixture too_many(5);
    too_many.options.set("triplet.mask_dims", 3);
    CHECK_THROWS_AS((triplet_constraint<"z">::impl<double, cpu>(too_many.args(2))), config_error);
    fixture none(1);  // ⌊1 / 2⌋ = 0 dims per query
    CHECK_THROWS_AS((triplet_constraint<"z">::impl<double, cpu>(none.args(2))), config_error);
}

TEST_CASE("triplet: with no valid anchor the piece is 0 and still logged") {
    fixture fx;
    triplet_constraint<"z">::impl<double, cpu> term(fx.args(1));
    generator gen(1);
    const std::vector<std::int32_t> all_same{2, 2, 2};
    step_losses<double, cpu> out;
    term.add(pass(fx.layout, var<double, cpu>(tensor<double, cpu>::from_host({3, 4}, tiny_z)), all_same, 1, gen), out);
    CHECK(term_value(out, "triplet") == 0.0);
    CHECK(term.last_triplets().count() == 0);
    // Labels of the wrong width are refused by name.
    CHECK_THROWS_AS(term.add(pass(fx.layout, var<double, cpu>(tensor<double, cpu>::from_host({3, 4}, tiny_z)),
                                  tiny_labels, 2, gen),
                             out),
                    shape_error);
}

TEST_CASE("triplet: triplet_nll's gradient w.r.t. anchors, partners and masks matches central differences") {
    generator gen(11);
    std::vector<tensor<double, cpu>> inputs;
    for (int k = 0; k < 4; ++k) {
        tensor<double, cpu> t({5, 3});
        normal_(t, gen);
        inputs.push_back(t);
    }
    const auto r = testing::gradcheck<double, cpu>(
        [](const std::vector<var<double, cpu>>& v) { return triplet_nll(v[0], v[1], v[2], sigmoid(v[3])); }, inputs);
    CHECK_MESSAGE(r.ok, r.report);
    // One mask row for every triplet.
    const auto shared = testing::gradcheck<double, cpu>(
        [](const std::vector<var<double, cpu>>& v) { return triplet_nll(v[0], v[1], v[2], sigmoid(v[3])); },
        {inputs[0], inputs[1], inputs[2], tensor<double, cpu>::from_host({1, 3}, vec{0.3, -1.0, 2.0})});
    CHECK_MESSAGE(shared.ok, shared.report);
    // Far-apart distances must not overflow: softplus, not log(exp + exp).
    const var<double, cpu> a(tensor<double, cpu>::from_host({1, 1}, vec{0.0}));
    const var<double, cpu> far(tensor<double, cpu>::from_host({1, 1}, vec{40.0}));
    const var<double, cpu> one(tensor<double, cpu>::from_host({1, 1}, vec{1.0}));
    CHECK(triplet_nll(a, far, a, one).item() == doctest::Approx(1600.0));
    CHECK(triplet_nll(a, a, far, one).item() == doctest::Approx(0.0));
}

TEST_CASE("triplet: the term's gradient w.r.t. the latents and the learned mask logits matches central differences") {
    fixture fx;
    fx.options.weight("triplet.mask_l1", 0.3);
    triplet_constraint<"z", learned_masks>::impl<double, cpu> term(fx.args(2));
    parameter<double, cpu>& logits = term.mask_impl().logits_parameter();
    CHECK(logits.name() == "triplet.mask_logits");
    CHECK(logits.group() == model_group);
    const vec start = logits.value().to_vector();
    CHECK(start[0] != start[4]);  // the two queries do not start alike
    parameter<double, cpu> z("z", tensor<double, cpu>::from_host({3, 4}, tiny_z));

    const auto loss = [&] {
        generator gen(5);  // the same draws each time (they are forced here anyway)
        step_losses<double, cpu> out;
        term.add(pass(fx.layout, z.as_var(), tiny_labels, 2, gen), out);
        return out;
    };
    const auto first = loss();
    CHECK(term_value(first, "triplet.mask_l1") > 0);
    const auto largest = toy::check_gradient_of({&z, &logits}, loss);
    CHECK(largest.at("z") > 1e-3);  // the comparisons meant something
    CHECK(largest.at("triplet.mask_logits") > 1e-3);
}

TEST_CASE("triplet: every drawn triplet is valid, every anchor without one is left out, and a generator replays its draws") {
    generator label_gen(9);
    const std::int64_t n = 24, queries = 3;
    std::vector<std::int32_t> labels(static_cast<std::size_t>(n * queries));
    tensor<double, cpu> u({n * queries});
    uniform_(u, label_gen);
    const vec draws = u.to_vector();
    const int sizes[3] = {2, 5, 20};  // query 2 has values met once: anchors without a j
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t q = 0; q < queries; ++q)
            labels[static_cast<std::size_t>(i * queries + q)] =
                static_cast<std::int32_t>(draws[static_cast<std::size_t>(i * queries + q)] * sizes[q]);
    const auto at = [&](std::int64_t i, std::int64_t q) { return labels[static_cast<std::size_t>(i * queries + q)]; };

    generator gen(4);
    std::map<std::pair<std::int64_t, std::int64_t>, std::set<std::int64_t>> seen_j;
    std::int64_t left_out = 0;
    for (int round = 0; round < 50; ++round) {
        const batch_triplets t = draw_batch_triplets(labels, n, queries, gen);
        for (std::int64_t q = 0; q < queries; ++q)
            for (std::int64_t i = 0; i < n; ++i) {
                bool has_j = false, has_k = false;
                for (std::int64_t o = 0; o < n; ++o) {
                    has_j |= o != i && at(o, q) == at(i, q);
                    has_k |= at(o, q) != at(i, q);
                }
                REQUIRE(t.valid(q, i) == (has_j && has_k));
                if (!t.valid(q, i)) {
                    CHECK(t.other[static_cast<std::size_t>(q * n + i)] == -1);
                    ++left_out;
                    continue;
                }
                const std::int64_t j = t.same[static_cast<std::size_t>(q * n + i)];
                const std::int64_t k = t.other[static_cast<std::size_t>(q * n + i)];
                CHECK(j != i);
                CHECK(at(j, q) == at(i, q));
                CHECK(at(k, q) != at(i, q));
                seen_j[{q, i}].insert(j);
            }
    }
    CHECK(left_out > 0);
    // Uniform over the candidates: in 50 draws query 0's anchors (about 12 candidates) see several j.
    CHECK(seen_j[{0, 0}].size() >= 5);

    generator a(21, 2, 100), b(21, 2, 100);
    const batch_triplets ta = draw_batch_triplets(labels, n, queries, a), tb = draw_batch_triplets(labels, n, queries, b);
    CHECK(ta.same == tb.same);
    CHECK(ta.other == tb.other);
    CHECK(a.offset() == b.offset());
    CHECK(a.offset() == 100 + static_cast<std::uint64_t>(n * queries));
}

TEST_CASE("triplet_vae: queries are the label columns, learned masks train with the model and receive gradient") {
    // Several value-index labels (not categorical: label_width 3): three queries.
    const data::example_layout three{{6}, 3, 4, {"a", "b", "c"}};
    auto fixed = triplet_vae<>::build(cpu{}, three, mlp_networks<double, cpu>({8}), model_options{}.size("z", 6), 1);
    CHECK(fixed.term<triplet_constraint<"z", fixed_masks>>().queries() == 3);
    CHECK(fixed.term<triplet_constraint<"z", fixed_masks>>().masks()[2] == vec{0, 0, 0, 0, 1, 1});
    // One categorical label (label_outputs = its 5 classes) is one query.
    const data::example_layout one{{6}, 1, 5, {"class"}};
    auto single = triplet_vae<>::build(cpu{}, one, mlp_networks<double, cpu>({8}), model_options{}.size("z", 4), 1);
    CHECK(single.term<triplet_constraint<"z", fixed_masks>>().queries() == 1);
    // A misspelt or misplaced setting is refused: learned masks have no mask_dims.
    CHECK_THROWS_AS((triplet_vae<bernoulli_likelihood, learned_masks>::build(
                        cpu{}, three, mlp_networks<double, cpu>({8}),
                        model_options{}.size("z", 6).set("triplet.mask_dims", 2), 1)),
                    config_error);

    auto m = triplet_vae<bernoulli_likelihood, learned_masks>::build(cpu{}, three, mlp_networks<double, cpu>({8}),
                                                                     model_options{}.size("z", 6), 1);
    CHECK(m.groups() == std::vector<std::string>{"model"});
    parameter<double, cpu>* logits = nullptr;
    for (auto* p : m.parameters("model"))
        if (p->name() == "triplet.mask_logits") logits = p;
    REQUIRE(logits != nullptr);
    CHECK(logits->shape() == shape{3, 6});

    const vec xs{0.1, 0.9, 0.2, 0.8, 0.0, 1.0, 0.7, 0.3, 0.6, 0.4, 1.0, 0.0,
                 0.5, 0.5, 0.9, 0.1, 0.3, 0.6, 0.2, 0.2, 0.8, 0.7, 0.4, 0.1};
    const std::vector<std::int32_t> ys{0, 1, 2, 0, 1, 3, 1, 0, 2, 1, 0, 3};
    const auto l = m.losses(tensor<double, cpu>::from_host({4, 6}, xs), tensor<std::int32_t, cpu>::from_host({4, 3}, ys));
    CHECK(term_value(l, "triplet") > 0);
    for (auto* p : m.parameters()) p->zero_grad();
    backward(l.main);
    double norm = 0;
    for (double g : logits->grad().to_vector()) norm += g * g;
    CHECK(norm > 0);
}

TEST_CASE("triplet_vae: a few training steps lower the triplet loss on a tiny two-factor problem") {
    // x: the one-hots of two 3-valued factors; labels: the two factors' value indices.
    std::vector<double> xs;
    std::vector<std::int32_t> ys;
    for (int rep = 0; rep < 2; ++rep)
        for (int a = 0; a < 3; ++a)
            for (int b = 0; b < 3; ++b) {
                for (int v = 0; v < 3; ++v) xs.push_back(v == a ? 1.0 : 0.0);
                for (int v = 0; v < 3; ++v) xs.push_back(v == b ? 1.0 : 0.0);
                ys.push_back(a);
                ys.push_back(b);
            }
    const std::int64_t n = 18;
    const auto x = tensor<double, cpu>::from_host({n, 6}, xs);
    const auto y = tensor<std::int32_t, cpu>::from_host({n, 2}, ys);
    const data::example_layout layout{{6}, 2, 3, {"a", "b"}};
    auto m = triplet_vae<>::build(cpu{}, layout, mlp_networks<double, cpu>({16}),
                                  model_options{}.size("z", 4).weight("triplet", 5.0), 3);
    const auto params = m.parameters("model");
    adam<double, cpu> opt(params, adam_options{}.lr(1e-2));
    const auto window = [&](int steps) {
        double total = 0;
        for (int s = 0; s < steps; ++s) {
            opt.zero_grad();
            const auto l = m.losses(x, y);
            total += term_value(l, "triplet");
            backward(l.main);
            opt.step();
        }
        return total / steps;
    };
    const double before = window(10);
    window(100);
    const double after = window(10);
    INFO("triplet loss before " << before << ", after " << after);
    CHECK(after < 0.6 * before);
}
