// models/codes.hpp against hand computations on the swap model with linear networks: z = μ(x)
// and s = f_s(x) at their means, Dec = σ(W·[z, s] + b) (the Bernoulli likelihood's mean).
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "latent/models/codes.hpp"
#include "latent/models/swap.hpp"
#include "toy.hpp"

using namespace latent;
using namespace toy;

namespace {

const vec xs{0.2, 0.9, 1.0, 0.0, 0.4, 0.6};
tensor<double, cpu> rows(std::int64_t from, std::int64_t count) {
    return tensor<double, cpu>::from_host({count, 2}, vec(xs.begin() + 2 * from, xs.begin() + 2 * (from + count)));
}
auto make_model() {
    const data::example_layout flat{{2}, 1, 3, {"class"}};
    return swap_model_without_adversary<>::build(cpu{}, flat, linear_networks(), model_options{}.size("z", 1).size("s", 1), 4);
}
double code(const std::map<std::string, vec>& w, const std::string& head, std::size_t i) {
    return affine(w.at("head." + head + ".weight"), w.at("head." + head + ".bias"), {xs[2 * i], xs[2 * i + 1]})[0];
}
vec decode(const std::map<std::string, vec>& w, double z, double s) {
    const vec l = affine(w.at("decoder.weight"), w.at("decoder.bias"), {z, s});
    return {sigmoid(l[0]), sigmoid(l[1])};
}
void check_image(const std::vector<double>& got, std::size_t cell, const vec& want) {
    CAPTURE(cell);
    CHECK(got[2 * cell] == doctest::Approx(want[0]).epsilon(1e-9));
    CHECK(got[2 * cell + 1] == doctest::Approx(want[1]).epsilon(1e-9));
}

}  // namespace

TEST_CASE("codes: the swap grid decodes z of each row with s of each column, reconstructions on the diagonal") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const auto grid = swap_grid(m, rows(0, 2), rows(1, 2)).to_vector();  // rows: x0, x1; columns: x1, x2
    REQUIRE(grid.size() == 2 * 2 * 2);
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 2; ++j) check_image(grid, i * 2 + j, decode(w, code(w, "z", i), code(w, "s", j + 1)));
    // Where a row and a column are the same image (x1), the cell is its reconstruction at the means.
    check_image(grid, 2, decode(w, code(w, "z", 1), code(w, "s", 1)));
}

TEST_CASE("codes: a pairwise swap decodes z of each a with s of the b beside it") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const auto pairs = swap_pairs(m, rows(0, 2), rows(1, 2)).to_vector();  // (x0, x1), (x1, x2)
    REQUIRE(pairs.size() == 2 * 2);
    for (std::size_t k = 0; k < 2; ++k) check_image(pairs, k, decode(w, code(w, "z", k), code(w, "s", k + 1)));
    CHECK_THROWS_WITH_AS(swap_pairs(m, rows(0, 2), rows(0, 1)), doctest::Contains("swap_pairs"), shape_error);
}

TEST_CASE("codes: the interpolation grid moves s along the columns and z along the rows") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const auto grid = interpolation_grid(m, rows(0, 1), rows(2, 1), 3).to_vector();
    REQUIRE(grid.size() == 9 * 2);
    const auto lerp = [](double a, double b, double t) { return a + t * (b - a); };
    for (std::size_t i = 0; i < 3; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            check_image(grid, i * 3 + j,
                        decode(w, lerp(code(w, "z", 0), code(w, "z", 2), i / 2.0),
                               lerp(code(w, "s", 0), code(w, "s", 2), j / 2.0)));
    CHECK_THROWS_WITH_AS(interpolation_grid(m, rows(0, 2), rows(2, 1), 3), doctest::Contains("one each"), config_error);
}

TEST_CASE("codes: generation keeps the image's s and draws z from the prior with the seed given") {
    auto m = make_model();
    const auto w = fix_weights(m);
    const auto images = generate_with_code(m, rows(1, 1), 4, "s", 7).to_vector();
    tensor<float, cpu> noise({4, 2});
    generator gen(7);
    normal_(noise, gen);
    const auto z = noise.to_vector();  // [z, s] per row; s is replaced
    for (std::size_t i = 0; i < 4; ++i) check_image(images, i, decode(w, double(z[2 * i]), code(w, "s", 1)));
    CHECK(generate_with_code(m, rows(1, 1), 4, "s", 7).to_vector() == images);
    CHECK(generate_with_code(m, rows(1, 1), 4, "s", 8).to_vector() != images);
}

TEST_CASE("codes: retrieval ranks rows by distance in one segment only") {
    // latents [z, s]: the nearest in s and in z to the query (0, 0) differ.
    const auto latents = tensor<float, cpu>::from_host({4, 2}, {0.1f, 5.0f, 3.0f, 0.2f, -2.0f, -0.1f, 9.0f, 1.0f});
    const segment z{"z", 0, 1}, s{"s", 1, 1};
    CHECK(nearest_in_segment(latents, {0, 0}, s, 2) == std::vector<std::int64_t>{2, 1});
    CHECK(nearest_in_segment(latents, {0, 0}, z, 3) == std::vector<std::int64_t>{0, 2, 1});
    CHECK(nearest_in_segment(latents, {0, 0}, z, 10).size() == 4);
    CHECK_THROWS_WITH_AS(nearest_in_segment(latents, {0}, z, 1), doctest::Contains("a query of 1 values"), shape_error);
}
