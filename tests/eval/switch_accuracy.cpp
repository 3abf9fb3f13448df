#include <doctest/doctest.h>

#include <latent/data/idx.hpp>
#include <latent/eval/switch_accuracy.hpp>

#include <cmath>
#include <filesystem>
#include <vector>

using namespace latent;

namespace {
/// A fake judge for [n, 1, 1, 2] "images": the predicted class is the first pixel, rounded.
std::vector<std::int32_t> first_pixel(const tensor<float>& images) {
    const auto v = images.to_vector();
    std::vector<std::int32_t> out;
    for (std::int64_t i = 0; i < images.dim(0); ++i)
        out.push_back(static_cast<std::int32_t>(std::lround(v[static_cast<std::size_t>(i * images.cols())])));
    return out;
}
}  // namespace

TEST_CASE("switch_accuracy: the table of a fake judge, worked by hand") {
    // six images switched to targets (0, 0, 1, 1, 1, 2); the judge sees (0, 1, 1, 1, 0, 2):
    // class 0: 1 of 2, class 1: 2 of 3, class 2: 1 of 1, overall 4 of 6
    const auto images = tensor<float>::from_host({6, 1, 1, 2}, {0, 9, 1, 9, 1, 9, 1, 9, 0, 9, 2, 9});
    const std::vector<std::int32_t> targets{0, 0, 1, 1, 1, 2};
    const auto r = eval::switch_accuracy(first_pixel, images, targets);
    REQUIRE(r.per_class.size() == 3);
    CHECK(r.per_class[0] == doctest::Approx(0.5));
    CHECK(r.per_class[1] == doctest::Approx(2.0 / 3.0));
    CHECK(r.per_class[2] == doctest::Approx(1.0));
    CHECK(r.counts == std::vector<std::int64_t>{2, 3, 1});
    CHECK(r.overall == doctest::Approx(4.0 / 6.0));

    // a fourth class with no images reads NaN and leaves overall alone; a judge returning a tensor works too
    auto tensor_judge = [](const tensor<float>& x) {
        const auto p = first_pixel(x);
        return tensor<std::int32_t>::from_host({static_cast<std::int64_t>(p.size())}, p);
    };
    const auto r4 = eval::switch_accuracy(tensor_judge, images, targets, 4);
    REQUIRE(r4.per_class.size() == 4);
    CHECK(std::isnan(r4.per_class[3]));
    CHECK(r4.overall == doctest::Approx(4.0 / 6.0));
}

TEST_CASE("switch_accuracy: images grouped by target class") {
    // class 0: two images, judged (0, 2); class 1: none; class 2: three images, judged (2, 2, 1)
    const std::vector<tensor<float>> by_class{tensor<float>::from_host({2, 1, 1, 2}, {0, 0, 2, 0}), tensor<float>(),
                                              tensor<float>::from_host({3, 1, 1, 2}, {2, 0, 2, 0, 1, 0})};
    const auto r = eval::switch_accuracy(first_pixel, by_class);
    REQUIRE(r.per_class.size() == 3);
    CHECK(r.per_class[0] == doctest::Approx(0.5));
    CHECK(std::isnan(r.per_class[1]));
    CHECK(r.per_class[2] == doctest::Approx(2.0 / 3.0));
    CHECK(r.overall == doctest::Approx(3.0 / 5.0));
}

TEST_CASE("switch_accuracy: mismatched counts and bad targets are refused") {
    const std::vector<std::int32_t> three{0, 1, 2}, two{0, 1}, bad{0, 5};
    CHECK_THROWS_AS(eval::switch_accuracy_from_predictions(three, two), shape_error);
    CHECK_THROWS_AS(eval::switch_accuracy_from_predictions(two, bad, 3), config_error);
}

TEST_CASE("switch_accuracy: a judge trained on a small Fashion-MNIST subset learns well above chance") {
    if (!std::filesystem::exists(data::fashion_mnist_default_dir)) {
        MESSAGE("Fashion-MNIST is not installed; skipped");
        return;
    }
    const auto train = data::load_fashion_mnist(data::split::train);
    const auto test = data::load_fashion_mnist(data::split::test);
    const std::int64_t n = 2000, m = 1000;
    int epochs_seen = 0;
    auto j = eval::train_judge(train.images.rows(0, n), train.labels.rows(0, n),
                               eval::judge_options{}.epochs(2).seed(1).threads(1).on_epoch([&](int, double) { ++epochs_seen; }));
    CHECK(epochs_seen == 2);
    const double acc = j.accuracy(test.images.rows(0, m), test.labels.rows(0, m));
    MESSAGE("judge trained on ", n, " images for 2 epochs: test accuracy ", acc);
    CHECK(acc > 0.6);  // chance is 0.1; the full run (the example) reaches about 0.9

    // the judge plugs into switch_accuracy as is: real test images "switched" to their own class
    const auto r = eval::switch_accuracy(j, test.images.rows(0, m), test.labels.rows(0, m), 10);
    CHECK(r.overall == doctest::Approx(acc));

    CHECK_THROWS_AS(eval::train_judge(tensor<float>::zeros({4, 1, 32, 32}), tensor<std::int32_t>::zeros({4})),
                    shape_error);
}
