// Augmentations on the loader's thread: what each does, and that an augmented epoch is the same
// with or without the background thread, differs between epochs, and resumes exactly.
#include <doctest/doctest.h>

#include <numeric>
#include <vector>

#include "latent/data/augment.hpp"

using namespace latent;
using namespace latent::data;

namespace {
const example_layout image_layout{{1, 3, 4}, 1, 2, {"class"}};

in_memory ramp_images(int n) {
    std::vector<float> x;
    std::vector<std::int32_t> y;
    for (int i = 0; i < n; ++i) {
        for (int k = 0; k < 12; ++k) x.push_back(0.01f * float(k + 1) + 0.1f * float(i % 3));
        y.push_back(i % 2);
    }
    return in_memory::from_floats(image_layout, x, y);
}
std::vector<std::vector<float>> epochs_of(const in_memory& d, loader_options o, int epochs) {
    loader<float> l(d, std::move(o));
    std::vector<std::vector<float>> out;
    batch<float> b;
    for (int e = 0; e < epochs; ++e) {
        std::vector<float> all;
        while (l.next(b)) {
            const auto v = b.x.to_vector();
            all.insert(all.end(), v.begin(), v.end());
        }
        out.push_back(all);
    }
    return out;
}
}  // namespace

TEST_CASE("augment: a flip with probability one mirrors every row, zero leaves the image") {
    std::vector<float> x(12);
    std::iota(x.begin(), x.end(), 0.0f);
    generator gen(1);
    random_horizontal_flip(1.0)(x.data(), image_layout, gen);
    CHECK(x == std::vector<float>{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
    random_horizontal_flip(0.0)(x.data(), image_layout, gen);
    CHECK(x == std::vector<float>{3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
}

TEST_CASE("augment: a shift moves the content and fills what comes in") {
    // Find a generator position that shifts by a known amount, computed here from its draws.
    for (std::uint64_t offset = 0; offset < 50; ++offset) {
        generator gen(3, 0, offset);
        const auto r = generator(3, 0, offset).take(2);
        const int dy = int(std::floor(r.uniform(0) * 3)) - 1, dx = int(std::floor(r.uniform(1) * 3)) - 1;
        std::vector<float> x(12);
        std::iota(x.begin(), x.end(), 1.0f);
        random_shift(1, -1.0f)(x.data(), image_layout, gen);
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 4; ++j) {
                const int si = i - dy, sj = j - dx;
                const float want = si >= 0 && si < 3 && sj >= 0 && sj < 4 ? float(si * 4 + sj + 1) : -1.0f;
                CHECK(x[std::size_t(i * 4 + j)] == want);
            }
    }
}

TEST_CASE("augment: noise has the asked spread and stays in range") {
    const example_layout flat{{20000}, 1, 2, {}};
    std::vector<float> x(20000, 0.5f);
    generator gen(9);
    gaussian_noise(0.1)(x.data(), flat, gen);
    double mean = 0, var = 0;
    for (float v : x) mean += v;
    mean /= double(x.size());
    for (float v : x) var += (v - mean) * (v - mean);
    var /= double(x.size());
    CHECK(mean == doctest::Approx(0.5).epsilon(0.01));
    CHECK(std::sqrt(var) == doctest::Approx(0.1).epsilon(0.03));
    std::vector<float> big(100, 0.99f);
    gaussian_noise(1.0)(big.data(), example_layout{{100}, 1, 2, {}}, gen);
    for (float v : big) CHECK((v >= 0.0f && v <= 1.0f));
}

TEST_CASE("augment: augmented epochs are reproducible, thread-independent, and differ between epochs") {
    const auto d = ramp_images(10);
    const auto o = loader_options{}.batch_size(4).seed(5).augment(
        compose({random_horizontal_flip(0.5), random_shift(1), gaussian_noise(0.05)}));
    const auto background = epochs_of(d, loader_options(o).background(true), 2);
    const auto inline_ = epochs_of(d, loader_options(o).background(false), 2);
    CHECK(background == inline_);
    CHECK(background[0] != background[1]);
    const auto plain = epochs_of(d, loader_options{}.batch_size(4).seed(5), 1);
    CHECK(plain[0] != background[0]);
    // Resuming at epoch 1 gives epoch 1's augmented batches again.
    const auto resumed = epochs_of(d, loader_options(o).start(loader_state{1, 0}), 1);
    CHECK(resumed[0] == background[1]);
}

TEST_CASE("augment: image augmentations refuse examples that are not images") {
    std::vector<float> x(3);
    generator gen(1);
    CHECK_THROWS_AS(random_horizontal_flip()(x.data(), example_layout{{3}, 1, 2, {}}, gen), config_error);
}
