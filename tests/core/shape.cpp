#include <doctest/doctest.h>

#include <latent/core/shape.hpp>

using latent::shape;

TEST_CASE("shape: extents, matrix view and equality") {
    const shape s{2, 3, 4};
    CHECK(s.rank() == 3);
    CHECK(s.numel() == 24);
    CHECK(s.rows() == 2);
    CHECK(s.cols() == 12);
    CHECK(s.dim(-1) == 4);
    CHECK(s == shape{2, 3, 4});
    CHECK_FALSE(s == shape{2, 12});
    CHECK(s.with(1, 5) == shape{2, 5, 4});
    CHECK(s.to_string() == "[2, 3, 4]");
    CHECK(shape{}.numel() == 1);
}

TEST_CASE("shape: bad ranks, extents and axes are shape errors") {
    CHECK_THROWS_AS((shape{1, 2, 3, 4, 5}), latent::shape_error);
    CHECK_THROWS_AS((shape{2, -1}), latent::shape_error);
    CHECK_THROWS_WITH_AS(shape({2, 3}).dim(2), "shape [2, 3]: no axis 2", latent::shape_error);
}
