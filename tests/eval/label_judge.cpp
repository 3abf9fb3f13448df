// The multi-label judge of seed 002's intervention and swap measures, on the procedural shapes.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "latent/data/loader.hpp"
#include "latent/data/shapes.hpp"
#include "latent/eval/label_judge.hpp"

using namespace latent;

TEST_CASE("label_judge: learns binary labels of the shapes and answers log p(y_j = 1 | image) as log σ(logit)") {
    using data::shape_factor;
    using data::shape_label;
    const data::shapes set(data::shapes_options{}
                               .labels({shape_label::at_least(shape_factor::scale, 3, "large"),
                                        shape_label::at_least(shape_factor::pos_x, 8, "right")})
                               .shuffle(4),
                           data::shapes_part::all);
    data::index_list first, second;
    for (std::int64_t i = 0; i < 3000; ++i) first.push_back(i);
    for (std::int64_t i = 3000; i < 3500; ++i) second.push_back(i);
    const auto fit = data::read_batch<float, cpu>(set, first);
    const auto held = data::read_batch<float, cpu>(set, second);
    int epochs_seen = 0;
    auto j = eval::train_label_judge(fit.x, fit.y,
                                     eval::judge_options{}.epochs(2).seed(1).threads(1).on_epoch(
                                         [&](int, double) { ++epochs_seen; }));
    CHECK(epochs_seen == 2);
    CHECK(j.labels() == 2);
    const auto acc = j.accuracy(held.x, held.y);
    REQUIRE(acc.size() == 2);
    MESSAGE("label judge on 3000 shapes, 2 epochs: held-out accuracy large ", acc[0], ", right ", acc[1]);
    CHECK(acc[0] > 0.85);  // chance is about 0.5 for both
    CHECK(acc[1] > 0.85);

    // log_probabilities is log σ of the network's logits, computed here in double.
    const auto lp = j.log_probabilities(held.x.rows(0, 5)).to_vector();
    j.network().eval();
    const auto logits = j.network().forward(var<float, cpu>(held.x.rows(0, 5))).value().to_vector();
    j.network().train();
    REQUIRE(lp.size() == 10);
    for (std::size_t k = 0; k < lp.size(); ++k) {
        const double l = logits[k];
        CHECK(lp[k] == doctest::Approx(-std::log1p(std::exp(-l))).epsilon(1e-5));
        CHECK(lp[k] <= 0);
    }

    CHECK_THROWS_WITH_AS(eval::train_label_judge(fit.x.rows(0, 4), fit.y.rows(0, 3)), doctest::Contains("labels"),
                         shape_error);
    CHECK_THROWS_AS(j.accuracy(held.x.rows(0, 4), held.y.rows(0, 3)), shape_error);
}
