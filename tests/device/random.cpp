// Random fills on the device backend: the same generator gives the cpu
// backend's numbers (Philox counters are a pure function of seed, stream,
// offset and element, whoever computes them), and leaves the generator in the same place.
#include "compare.hpp"

using namespace latent;
using device_test::check_close;
using device_test::check_equal;
using device_test::launches;
using device_test::random_tensor;

namespace {
/// Fills a fresh tensor of shape s on backend B with `fill(t, gen)` from generator(seed, stream, offset).
template <class T, class B, class Fill>
std::pair<tensor<T, B>, generator> filled(const shape& s, Fill fill) {
    generator gen(2024, 3, 17);
    tensor<T, B> t(s);
    fill(t, gen);
    return {t, gen};
}

template <class T, class Fill>
void check_fill(const char* what, Fill fill, bool exact) {
    CAPTURE(what);
    const shape s{37, 29};
    auto [c, gc] = filled<T, cpu>(s, fill);
    const std::uint64_t l0 = launches();
    auto [d, gd] = filled<T, device>(s, fill);
    CHECK(launches() > l0);
    CHECK(gc == gd);
    if (exact) check_equal(c, d, what);
    else check_close(c, d, what);
}
}  // namespace

TEST_CASE("device random: uniform, normal and bernoulli fills equal the cpu backend's") {
    auto uniform = [](auto& t, generator& g) { uniform_(t, g, -2.0, 3.0); };
    auto normal = [](auto& t, generator& g) { normal_(t, g, 0.5, 2.0); };
    auto bern = [](auto& t, generator& g) { bernoulli_(t, g, 0.3); };
    check_fill<float>("uniform_ float", uniform, false);
    check_fill<double>("uniform_ double", uniform, false);
    check_fill<float>("normal_ float", normal, false);
    check_fill<double>("normal_ double", normal, false);
    check_fill<float>("bernoulli_ float", bern, true);
    check_fill<std::int32_t>("bernoulli_ int32", bern, true);
    check_fill<std::uint8_t>("bernoulli_ uint8", bern, true);
}

TEST_CASE("device random: bernoulli of given probabilities and categorical draws equal the cpu backend's") {
    const auto probs = random_tensor({50, 6}, 5, 0, 1);
    const auto dprobs = probs.to<device>();
    generator gc(9), gd(9);
    check_equal(bernoulli(probs, gc), bernoulli(dprobs, gd), "bernoulli(probs)");
    check_equal(categorical(probs, gc), categorical(dprobs, gd), "categorical");
    CHECK(gc == gd);

    auto zero_row = probs.to_vector();
    for (int k = 0; k < 6; ++k) zero_row[6 + k] = 0;
    CHECK_THROWS_AS(categorical(tensor<float, device>::from_host(probs.shape(), zero_row), gd), config_error);
}

TEST_CASE("device random: permutation and initialisers equal the cpu backend's") {
    generator gc(4), gd(4);
    check_equal(permutation<cpu>(1000, gc), permutation<device>(1000, gd), "permutation");
    tensor<float> wc(shape{16, 8}), bc(shape{16});
    tensor<float, device> wd(shape{16, 8}), bd(shape{16});
    linear_default_init(wc, &bc, gc);
    linear_default_init(wd, &bd, gd);
    check_close(wc, wd, "linear weight");
    check_close(bc, bd, "linear bias");
    tensor<float> kc(shape{3, 4, 5, 5});
    tensor<float, device> kd(shape{3, 4, 5, 5});
    xavier_uniform_(kc, gc);
    xavier_uniform_(kd, gd);
    check_close(kc, kd, "xavier_uniform_");
    CHECK(gc == gd);
}
