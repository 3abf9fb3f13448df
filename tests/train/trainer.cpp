// The trainer: each optimizer sees only its own loss's gradient, a resumed run is bit-identical
// to an unbroken one, and a diverging term stops training with its name.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "latent/data/samplers.hpp"
#include "latent/data/swiss_roll.hpp"
#include "latent/models/ccvae.hpp"
#include "latent/models/cond_vae.hpp"
#include "latent/models/csvae.hpp"
#include "latent/models/networks.hpp"
#include "latent/models/swap.hpp"
#include "latent/objectives/gan.hpp"
#include "latent/optim/sgd.hpp"
#include "latent/train/trainer.hpp"

using namespace latent;

namespace {

using roll_csvae = csvae<squared_error_likelihood>;

auto make_csvae(const data::example_layout& layout, std::uint64_t seed = 5) {
    return roll_csvae::build(cpu{}, layout, mlp_networks<double, cpu>({8}),
                             csvae_paper_weights(model_options{}.size("z", 2).size("w", 2).reconstruction(reduction::mean)),
                             seed);
}

std::filesystem::path scratch(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() / ("latent_trainer_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

template <class M>
std::vector<std::vector<double>> grads(M& m, const std::string& group) {
    std::vector<std::vector<double>> out;
    for (auto* p : m.parameters(group)) out.push_back(p->grad().to_vector());
    return out;
}
template <class M>
std::vector<std::vector<double>> values(M& m, const std::string& group) {
    std::vector<std::vector<double>> out;
    for (auto* p : m.parameters(group)) out.push_back(p->value().to_vector());
    return out;
}
bool all_zero(const std::vector<std::vector<double>>& g) {
    for (const auto& v : g)
        for (double x : v)
            if (x != 0) return false;
    return true;
}

/// The first n examples of a dataset of 3-D points, as one batch.
std::pair<tensor<double, cpu>, tensor<std::int32_t, cpu>> first_batch(const data::in_memory& d, std::int64_t n) {
    std::vector<double> xs;
    std::vector<std::int32_t> ys;
    for (std::int64_t i = 0; i < n; ++i) {
        float x[3];
        std::int32_t y;
        d.read(i, x, &y);
        xs.insert(xs.end(), x, x + 3);
        ys.push_back(y);
    }
    return {tensor<double, cpu>::from_host({n, 3}, xs), tensor<std::int32_t, cpu>::from_host({n, 1}, ys)};
}

/// The trainer's contract for a model with one adversarial `group`, on one batch: the main loss
/// reaches the group (so the trainer must drop that), the group's own loss reaches no model
/// parameter, and after trainer::step each group holds exactly its own loss's gradient and moved.
template <class M>
void check_group_isolation(M& m, const tensor<double, cpu>& x, const tensor<std::int32_t, cpu>& y,
                           const std::string& group) {
    // The expected gradients, each loss on its own, from the same generator position.
    const std::uint64_t offset = m.rng().offset();
    auto expect = m.losses(x, y);
    for (auto* p : m.parameters()) p->zero_grad();
    backward(expect.main);
    const auto main_model = grads(m, "model");
    CHECK_FALSE(all_zero(main_model));
    CHECK_FALSE(all_zero(grads(m, group)));
    m.rng().set_offset(offset);
    expect = m.losses(x, y);
    for (auto* p : m.parameters()) p->zero_grad();
    REQUIRE(expect.others.size() == 1);
    CHECK(expect.others[0].group == group);
    backward(expect.others[0].loss);
    CHECK(all_zero(grads(m, "model")));  // the group's loss reads detached inputs
    const auto own = grads(m, group);
    CHECK_FALSE(all_zero(own));

    m.rng().set_offset(offset);
    const auto model_before = values(m, "model"), group_before = values(m, group);
    trainer t(m, trainer_options{}.lr(1e-2).show_progress(false));
    t.step(x, y);
    CHECK(grads(m, "model") == main_model);
    CHECK(grads(m, group) == own);
    CHECK(values(m, "model") != model_before);
    CHECK(values(m, group) != group_before);
}

}  // namespace

TEST_CASE("trainer: each parameter group's gradient is its own loss's, and each optimizer moves only its group") {
    const auto roll = data::make_swiss_roll(16, 2);
    auto m = make_csvae(roll.data.layout());
    const auto [x, y] = first_batch(roll.data, 16);

    check_group_isolation(m, x, y, "adversary.z");  // the entropy term reaches δ: the trainer drops that

    // An optimizer steps only its group: freeze the adversary's lr and only the model moves.
    auto frozen = make_csvae(roll.data.layout());
    trainer still(frozen, trainer_options{}.lr(1e-2).adversary_lr(1e-300).show_progress(false));
    const auto frozen_before = values(frozen, "adversary.z");
    const auto frozen_model_before = values(frozen, "model");
    still.step(x, y);
    CHECK(values(frozen, "adversary.z") == frozen_before);
    CHECK(values(frozen, "model") != frozen_model_before);
}

TEST_CASE("trainer: clip_grad_norm scales each group's gradients to the norm before the step") {
    const auto roll = data::make_swiss_roll(16, 2);
    const auto [x, y] = first_batch(roll.data, 16);
    const auto norm = [](const std::vector<std::vector<double>>& g) {
        double s = 0;
        for (const auto& v : g)
            for (double e : v) s += e * e;
        return std::sqrt(s);
    };
    // The unclipped gradients, from the same generator position, to compare with.
    auto plain = make_csvae(roll.data.layout());
    trainer unclipped(plain, trainer_options{}.lr(1e-2).show_progress(false));
    unclipped.step(x, y);
    const auto model_grads = grads(plain, "model"), adversary_grads = grads(plain, "adversary.z");
    const double max_norm = 0.5 * std::min(norm(model_grads), norm(adversary_grads));
    REQUIRE(max_norm > 0);

    auto m = make_csvae(roll.data.layout());
    trainer clipped(m, trainer_options{}.lr(1e-2).clip_grad_norm(max_norm).show_progress(false));
    clipped.step(x, y);
    for (const char* group : {"model", "adversary.z"}) {
        INFO(group);
        const auto before = std::string(group) == "model" ? model_grads : adversary_grads;
        const auto after = grads(m, group);
        // torch's clip_grad_norm_: every element times max_norm / (norm + 1e-6).
        const double factor = max_norm / (norm(before) + 1e-6);
        CHECK(norm(after) == doctest::Approx(max_norm).epsilon(1e-4));
        CHECK(norm(after) < max_norm);
        for (std::size_t p = 0; p < after.size(); ++p)
            for (std::size_t k = 0; k < after[p].size(); ++k)
                CHECK(after[p][k] == doctest::Approx(before[p][k] * factor).epsilon(1e-9).scale(1e-15));
    }
    CHECK_THROWS_AS(trainer_options{}.clip_grad_norm(-1), config_error);
}

TEST_CASE("trainer: a run stopped after an epoch and resumed gives bit-identical losses") {
    const auto roll = data::make_swiss_roll(300, 4);
    data::index_list ids(300);
    for (int i = 0; i < 300; ++i) ids[static_cast<std::size_t>(i)] = i;
    const auto options = trainer_options{}.epochs(3).batch_size(32).lr(1e-3).seed(11).show_progress(false);

    auto whole_model = make_csvae(roll.data.layout());
    trainer whole(whole_model, options);
    const auto unbroken = whole.fit(roll.data, ids);
    REQUIRE(unbroken.size() == 3);

    const auto dir = scratch("resume");
    {
        auto first_model = make_csvae(roll.data.layout());
        trainer first(first_model, trainer_options(options).epochs(2).out(dir));
        first.fit(roll.data, ids);
    }
    auto resumed_model = make_csvae(roll.data.layout(), /*seed: overwritten by the checkpoint's state*/ 5);
    trainer resumed(resumed_model, trainer_options(options).out(dir).resume(true));
    const auto rest = resumed.fit(roll.data, ids);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].epoch == 3);
    REQUIRE(rest[0].terms.size() == unbroken[2].terms.size());
    for (std::size_t k = 0; k < rest[0].terms.size(); ++k) {
        INFO(rest[0].terms[k].first);
        CHECK(rest[0].terms[k].second == unbroken[2].terms[k].second);  // exactly, not approximately
    }
    // metrics.csv continues the first run's rows.
    std::ifstream csv(dir / "metrics.csv");
    std::string header, line;
    std::getline(csv, header);
    CHECK(header == "epoch,recon,kl.z,kl.w,entropy.z,adversary.z,lr,seconds");
    int rows = 0;
    while (std::getline(csv, line)) ++rows;
    CHECK(rows == 3);
    std::filesystem::remove_all(dir);
}

TEST_CASE("trainer: a NaN stops training with the step and the term that diverged") {
    const auto roll = data::make_swiss_roll(8, 1);
    auto m = make_csvae(roll.data.layout());
    auto* p = m.parameters("adversary.z").back();  // the output bias: a ReLU would turn a NaN earlier into 0
    p->value().fill_(std::nan(""));
    trainer t(m, trainer_options{}.show_progress(false));
    const auto x = tensor<double, cpu>::zeros({2, 3});
    const auto y = tensor<std::int32_t, cpu>::from_host({2, 1}, {0, 1});
    CHECK_THROWS_WITH_AS(t.step(x, y), doctest::Contains("step 0: term \"entropy.z\" is NaN"), numeric_error);
}

TEST_CASE("trainer: CondVAE-info on a categorical label builds one optimizer per group") {
    const data::example_layout images{{1, 4, 4}, 1, 3, {"class"}};
    auto m = cond_vae_info<>::build(cpu{}, images, mlp_networks<float, cpu>({8}), model_options{}.size("z", 2));
    CHECK(m.groups() == std::vector<std::string>{"model", "adversary.z"});
    trainer t(m, trainer_options{}.show_progress(false));
    const auto terms = t.step(tensor<float, cpu>::full({3, 1, 4, 4}, 0.5f),
                              tensor<std::int32_t, cpu>::from_host({3, 1}, {0, 1, 2}));
    CHECK(terms.size() == 4);
    CHECK(t.steps() == 1);
}

TEST_CASE("trainer: a GAN discriminator learns from its own loss only, the encoder and decoder from the generator's") {
    using swap_toy = model<partition<block<"z", 2, standard_normal, gaussian_posterior<from_x>>,
                                     block<"s", 2, no_prior, deterministic<from_x>>>,
                           squared_error_likelihood, gan_discriminator<"s">>;
    const auto roll = data::make_swiss_roll(16, 3);
    auto m = swap_toy::build(cpu{}, roll.data.layout(), mlp_networks<double, cpu>({8}), model_options{}, 6);
    const auto [x, y] = first_batch(roll.data, 16);

    check_group_isolation(m, x, y, "discriminator");  // the generator's pieces reach D: the trainer drops that
}

namespace {
using toy_swap_model = swap_model<squared_error_likelihood>::instance<double, cpu>;
toy_swap_model make_toy_swap(double gate = 0) {
    const data::example_layout flat{{2}, 1, 3, {"class"}};
    return swap_model<squared_error_likelihood>::build(cpu{}, flat, mlp_networks<double, cpu>({4}),
                                 model_options{}.size("z", 1).size("s", 1).set("gan.s.gate", gate), 9);
}
const auto toy_x = tensor<double, cpu>::from_host({6, 2}, {0.1, 0.9, 0.3, 0.2, -0.5, 0.4, 0.8, -0.1, 0.0, 0.6, -0.3, -0.7});
const auto toy_y = tensor<std::int32_t, cpu>::from_host({6, 1}, {0, 0, 1, 1, 2, 2});
std::vector<std::vector<double>> values(toy_swap_model& m, const std::string& group) {
    std::vector<std::vector<double>> out;
    for (auto* p : m.parameters(group)) out.push_back(p->value().to_vector());
    return out;
}
}  // namespace

TEST_CASE("trainer: alternating steps the model first, then the discriminator (SGD) on losses of the updated model") {
    auto m = make_toy_swap();
    trainer t(m, trainer_options{}.lr(1e-2).alternating(true).group_optimizer("discriminator", sgd_options{}.lr(0.1))
                     .show_progress(false));
    t.step(toy_x, toy_y);

    // By hand on an identical model: Adam on the main loss for the model's group, then the
    // losses again (the generator moves on), and one SGD step on the discriminator's own loss.
    auto r = make_toy_swap();
    auto first = r.losses(toy_x, toy_y);
    for (auto* p : r.parameters()) p->zero_grad();
    backward(first.main);
    adam<double, cpu> opt(r.parameters("model"), adam_options{}.lr(1e-2));
    opt.step();
    auto second = r.losses(toy_x, toy_y);
    for (auto* p : r.parameters("discriminator")) p->zero_grad();
    REQUIRE(second.others.size() == 1);
    backward(second.others[0].loss);
    for (auto* p : r.parameters("discriminator")) {
        auto v = p->value().to_vector();
        const auto g = p->grad().to_vector();
        for (std::size_t i = 0; i < v.size(); ++i) v[i] -= 0.1 * g[i];
        p->value().copy_(tensor<double, cpu>::from_host(p->shape(), v));
    }
    for (const char* group : {"model", "discriminator"}) {
        const auto got = values(m, group), want = values(r, group);
        REQUIRE(got.size() == want.size());
        for (std::size_t k = 0; k < got.size(); ++k)
            for (std::size_t i = 0; i < got[k].size(); ++i) CHECK(got[k][i] == doctest::Approx(want[k][i]).epsilon(1e-12));
    }

    // Stepped together (the default), the discriminator learns from the first losses instead.
    auto together = make_toy_swap();
    trainer tt(together, trainer_options{}.lr(1e-2).group_optimizer("discriminator", sgd_options{}.lr(0.1))
                             .show_progress(false));
    tt.step(toy_x, toy_y);
    CHECK(values(together, "discriminator") != values(m, "discriminator"));
    CHECK(values(together, "model") == values(m, "model"));

    CHECK_THROWS_WITH_AS(trainer(m, trainer_options{}.group_optimizer("critic", sgd_options{}.lr(0.1))),
                         doctest::Contains("no parameter group \"critic\""), config_error);
}

TEST_CASE("losses: loss_set::adversaries gives the adversaries' losses of the full set and no main loss") {
    // The alternating trainer's second turn asks for these alone; the by-hand step above computes
    // every loss and gets the same discriminator step.
    auto all = make_toy_swap(), only = make_toy_swap();
    const auto full = all.losses(toy_x, toy_y);
    const auto adversaries = only.losses(toy_x, toy_y, loss_set::adversaries);
    CHECK_FALSE(adversaries.has_main);
    REQUIRE(full.others.size() == 1);
    REQUIRE(adversaries.others.size() == 1);
    CHECK(adversaries.others[0].group == "discriminator");
    CHECK(adversaries.others[0].loss.item() == doctest::Approx(full.others[0].loss.item()).epsilon(1e-14));
    for (const auto& [name, value] : adversaries.terms) {
        const bool adversary_term = name == "discriminator" || name == "gan.s.d_accuracy";
        CHECK_MESSAGE(adversary_term, name);
    }

    // A label adversary (CSVAE's) keeps its own loss and drops the encoder's piece.
    const auto roll = data::make_swiss_roll(16, 2);
    const auto [x, y] = first_batch(roll.data, 16);
    auto c1 = make_csvae(roll.data.layout()), c2 = make_csvae(roll.data.layout());
    const auto c_full = c1.losses(x, y);
    const auto c_adv = c2.losses(x, y, loss_set::adversaries);
    CHECK_FALSE(c_adv.has_main);
    REQUIRE(c_adv.others.size() == c_full.others.size());
    for (std::size_t i = 0; i < c_adv.others.size(); ++i)
        CHECK(c_adv.others[i].loss.item() == doctest::Approx(c_full.others[i].loss.item()).epsilon(1e-14));
}

TEST_CASE("losses: loss_set::model gives the main loss of the full set and no adversary's loss") {
    // The alternating trainer's first turn steps the model's group on this alone.
    auto all = make_toy_swap(), only = make_toy_swap();
    const auto full = all.losses(toy_x, toy_y);
    const auto model = only.losses(toy_x, toy_y, loss_set::model);
    REQUIRE(model.has_main);
    CHECK(model.others.empty());
    CHECK(model.main.item() == doctest::Approx(full.main.item()).epsilon(1e-14));
    for (const auto& [name, value] : model.terms) {
        const bool adversary_term = name == "discriminator" || name == "gan.s.d_accuracy";
        CHECK_MESSAGE(!adversary_term, name);
    }
    CHECK(model.terms.size() + 2 == full.terms.size());

    // A label adversary (CSVAE's) gives the encoder's piece and not its own loss.
    const auto roll = data::make_swiss_roll(16, 2);
    const auto [x, y] = first_batch(roll.data, 16);
    auto c1 = make_csvae(roll.data.layout()), c2 = make_csvae(roll.data.layout());
    const auto c_full = c1.losses(x, y);
    const auto c_model = c2.losses(x, y, loss_set::model);
    REQUIRE_FALSE(c_full.others.empty());
    CHECK(c_model.others.empty());
    CHECK(c_model.main.item() == doctest::Approx(c_full.main.item()).epsilon(1e-14));
}

TEST_CASE("trainer: a gated discriminator skips the batches where it is accurate enough") {
    for (const bool alternating : {false, true}) {
        auto m = make_toy_swap(1e-9);  // steps only at accuracy 0
        const auto before = values(m, "discriminator");
        const auto model_before = values(m, "model");
        trainer t(m, trainer_options{}.alternating(alternating).show_progress(false));
        double accuracy = -1;
        for (const auto& [name, v] : t.step(toy_x, toy_y))
            if (name == "gan.s.d_accuracy") accuracy = v;
        REQUIRE(accuracy >= 0);
        CAPTURE(alternating);
        CHECK((values(m, "discriminator") == before) == (accuracy > 0));
        CHECK(values(m, "model") != model_before);  // the model stepped
    }
}

TEST_CASE("trainer: semi-supervised fit hands each batch's mask to the objective, and refuses a model that needs labels") {
    // The swiss roll's one binary label: CCVAE with one characteristic dimension, its diagonal
    // classifier and sampled unsupervised bound.
    const auto roll = data::make_swiss_roll(64, 7);
    data::index_list ids(64);
    for (int i = 0; i < 64; ++i) ids[static_cast<std::size_t>(i)] = i;
    const auto mask = data::supervision_mask(data::label_table::of(roll.data), ids, 0.25, 3);
    const auto options = trainer_options{}.epochs(2).batch_size(16).seed(2).show_progress(false);

    auto m = ccvae<squared_error_likelihood>::build(cpu{}, roll.data.layout(), mlp_networks<double, cpu>({8}),
                                               model_options{}.size("z", 2).set("ccvae.samples", 4), 1);
    trainer t(m, trainer_options(options).supervision(mask));
    const auto run = t.fit(roll.data, ids);
    REQUIRE(run.size() == 2);
    CHECK(run[0]["ccvae.sup"] > 0);
    CHECK(run[0]["ccvae.unsup"] > 0);  // most labels are hidden: both bounds contribute

    // Labelled and unlabelled batches apart: 1 labelled batch, then 3 unlabelled ones.
    auto apart = ccvae<squared_error_likelihood>::build(cpu{}, roll.data.layout(), mlp_networks<double, cpu>({8}),
                                               model_options{}.size("z", 2).set("ccvae.samples", 4), 1);
    trainer ta(apart, trainer_options(options).supervision(mask, 1, 3));
    CHECK(ta.fit(roll.data, ids).size() == 2);

    auto plain = make_csvae(roll.data.layout());
    trainer tp(plain, trainer_options(options).supervision(mask));
    CHECK_THROWS_WITH_AS(tp.fit(roll.data, ids), doctest::Contains("needs every label"), config_error);
}
