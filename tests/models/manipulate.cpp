// The manipulation API: each switch decodes exactly the latent MODELS.md says, grids and
// traversals walk the segment they name, and principal directions follow the variance.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "latent/models/cond_vae.hpp"
#include "latent/models/csvae.hpp"
#include "latent/models/manipulate.hpp"
#include "latent/models/networks.hpp"
#include "latent/models/vae.hpp"
#include "latent/tensor/random.hpp"

using namespace latent;

namespace {
const data::example_layout three_classes{{4}, 1, 3, {"class"}};

data::in_memory toy_set() {
    std::vector<float> x;
    std::vector<std::int32_t> y;
    for (int i = 0; i < 12; ++i) {
        for (int k = 0; k < 4; ++k) x.push_back(0.1f * float((i * 7 + k * 3) % 10));
        y.push_back(i % 3);
    }
    return data::in_memory::from_floats(three_classes, x, y);
}
void check_close(const tensor<float, cpu>& a, const tensor<float, cpu>& b) {
    REQUIRE(a.shape() == b.shape());
    const auto va = a.to_vector(), vb = b.to_vector();
    for (std::size_t i = 0; i < va.size(); ++i) CHECK(va[i] == doctest::Approx(vb[i]).epsilon(1e-5));
}
}  // namespace

TEST_CASE("manipulate: VAE latent arithmetic decodes μ(x) − m_from + m_to") {
    auto m = vae<squared_error_likelihood>::build(cpu{}, three_classes, mlp_networks<float>({8}), model_options{}.size("z", 2));
    const auto set = toy_set();
    data::index_list ids(12);
    for (int i = 0; i < 12; ++i) ids[static_cast<std::size_t>(i)] = i;
    const auto enc = encode_dataset(m, set, ids, 5);
    REQUIRE(enc.latents.shape() == latent::shape{12, 2});
    const auto means = class_means(enc, 3);
    // Class means by hand.
    const auto z = enc.latents.to_vector();
    for (int c = 0; c < 3; ++c)
        for (int k = 0; k < 2; ++k) {
            double s = 0;
            for (int i = c; i < 12; i += 3) s += z[static_cast<std::size_t>(i * 2 + k)];
            CHECK(means.to_vector()[static_cast<std::size_t>(c * 2 + k)] == doctest::Approx(s / 4).epsilon(1e-5));
        }
    const auto x = tensor<float, cpu>::from_host({1, 4}, {0.1f, 0.2f, 0.3f, 0.4f});
    const auto y = tensor<std::int32_t, cpu>::from_host({1, 1}, {0});
    const auto mu = m.encode_mean(x, y).to_vector();
    const auto mv = means.to_vector();
    const std::vector<float> target{mu[0] - mv[0] + mv[4], mu[1] - mv[1] + mv[5]};
    check_close(switch_by_arithmetic(m, x, y, {2}, means), m.decode(tensor<float, cpu>::from_host({1, 2}, target), y));
}

TEST_CASE("manipulate: CondVAE decodes its own latent with the scaled target label") {
    auto m = cond_vae<squared_error_likelihood>::build(cpu{}, three_classes, mlp_networks<float>({8}),
                                                      model_options{}.size("z", 2));
    const auto x = tensor<float, cpu>::from_host({1, 4}, {0.1f, 0.2f, 0.3f, 0.4f});
    const auto y = tensor<std::int32_t, cpu>::from_host({1, 1}, {0});
    const auto z = m.encode_mean(x, y);
    const auto switched = switch_by_label(m, x, y, tensor<std::int32_t, cpu>::from_host({1, 1}, {1}), 2.0);
    check_close(switched, m.decode_with_label_values(z, tensor<float, cpu>::from_host({1, 3}, {0, 2, 0})));
    // Unscaled, the switch is the decoder with the other class's one-hot.
    check_close(switch_by_label(m, x, y, tensor<std::int32_t, cpu>::from_host({1, 1}, {2})),
                m.decode(z, tensor<std::int32_t, cpu>::from_host({1, 1}, {2})));
}

TEST_CASE("manipulate: CSVAE keeps z and takes the target's w, and the grid walks w") {
    auto m = csvae<squared_error_likelihood>::build(cpu{}, three_classes, mlp_networks<float>({8}),
                                                   model_options{}.size("z", 2).size("w", 1));
    const auto& w = m.layout()["w"];
    REQUIRE(w.dim == 3);  // one block of 1 dim per class
    const auto x = tensor<float, cpu>::from_host({1, 4}, {0.1f, 0.2f, 0.3f, 0.4f});
    const auto y = tensor<std::int32_t, cpu>::from_host({1, 1}, {0});
    const auto w_star = tensor<float, cpu>::from_host({3, 3}, {3, 0, 0, 0, 3, 0, 0, 0, 3});
    auto latent = m.encode_mean(x, y).to_vector();
    latent[2] = 0, latent[3] = 3, latent[4] = 0;
    check_close(switch_by_segment(m, x, y, {1}, "w", w_star), m.decode(tensor<float, cpu>::from_host({1, 5}, latent), y));

    const auto base = m.encode_mean(x, y);
    const auto grid = segment_grid(m, base, y, "w", 0, 1, 3.0, 2.0, 3);
    REQUIRE(grid.rows() == 9);
    auto corner = base.to_vector();
    corner[2] = 1, corner[3] = 5;  // row 0 → 3 − 2, column 2 → 3 + 2
    const auto decoded = m.decode(tensor<float, cpu>::from_host({1, 5}, corner), y).to_vector();
    const auto g = grid.to_vector();
    for (std::size_t k = 0; k < 4; ++k) CHECK(g[2 * 4 + k] == doctest::Approx(decoded[k]).epsilon(1e-5));
}

TEST_CASE("manipulate: a principal traversal walks the first principal direction of the codes") {
    auto m = csvae<squared_error_likelihood>::build(cpu{}, three_classes, mlp_networks<float>({8}),
                                                   model_options{}.size("z", 2).size("w", 1));
    const auto x = tensor<float, cpu>::from_host({1, 4}, {0.1f, 0.2f, 0.3f, 0.4f});
    const auto y = tensor<std::int32_t, cpu>::from_host({1, 1}, {0});
    const auto codes = tensor<float, cpu>::from_host({4, 3}, {0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0});
    const auto w_axes = eval::principal_directions(codes);
    const auto walk = principal_traversal(m, m.encode_mean(x, y), y, "w", w_axes, 0, 1.0, 5);
    CHECK(walk.rows() == 5);
    auto middle = m.encode_mean(x, y).to_vector();
    middle[2] = 1.5f, middle[3] = 0, middle[4] = 0;  // t = 0: the mean code
    const auto expect = m.decode(tensor<float, cpu>::from_host({1, 5}, middle), y).to_vector();
    for (std::size_t k = 0; k < 4; ++k) CHECK(walk.to_vector()[2 * 4 + k] == doctest::Approx(expect[k]).epsilon(1e-5));
}
