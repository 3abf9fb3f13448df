// The latent partition: compile-time names and offsets, run-time sizes, and the errors of misuse.
#include <doctest/doctest.h>

#include "latent/space/partition.hpp"
#include "latent/space/priors.hpp"
#include "latent/space/posteriors.hpp"

using namespace latent;

using csvae_space = partition<block<"z", 2, standard_normal, gaussian_posterior<from_x>>,
                              label_blocks<"w", 2, switch_prior, gaussian_posterior<from_x_and_y>>>;
using fixed_space = partition<block<"s", 16, no_prior, deterministic<>>, block<"z", 16, standard_normal, gaussian_posterior<>>,
                              block<"u", dynamic, standard_normal, gaussian_posterior<>>>;

TEST_CASE("partition: names and indices are known at compile time") {
    static_assert(csvae_space::count == 2);
    static_assert(csvae_space::index_of<"z">() == 0);
    static_assert(csvae_space::index_of<"w">() == 1);
    static_assert(csvae_space::block_named<"w">::per_label);
    static_assert(fixed_space::static_offset<"s">() == 0);
    static_assert(fixed_space::static_offset<"z">() == 16);
    static_assert(fixed_space::static_offset<"u">() == 32);
    CHECK(csvae_space::names[1] == "w");
}

TEST_CASE("partition: label blocks repeat per label and offsets follow the order") {
    const partition_layout l = csvae_space::layout({}, 3);
    REQUIRE(l.segments.size() == 2);
    CHECK(l["z"].offset == 0);
    CHECK(l["z"].dim == 2);
    CHECK(l["w"].offset == 2);
    CHECK(l["w"].dim == 6);
    CHECK(l["w"].dim_per_label == 2);
    CHECK(l["w"].per_label);
    CHECK(l.total == 8);
}

TEST_CASE("partition: a dynamic size is set at run time, and only where the block allows it") {
    const partition_layout l = fixed_space::layout({{"u", 5}}, 0);
    CHECK(l["u"].offset == 32);
    CHECK(l.total == 37);
    CHECK_THROWS_WITH_AS(fixed_space::layout({}, 0), doctest::Contains("\"u\" has a run-time size"), config_error);
    CHECK_THROWS_WITH_AS(fixed_space::layout({{"u", 5}, {"z", 8}}, 0), doctest::Contains("fixed size 16"), config_error);
    CHECK_THROWS_WITH_AS(fixed_space::layout({{"u", 5}, {"q", 8}}, 0), doctest::Contains("\"q\", which is not a segment"),
                         config_error);
    CHECK_THROWS_WITH_AS(csvae_space::layout({}, 0), doctest::Contains("one block per label, but there are 0"),
                         config_error);
    CHECK_THROWS_WITH_AS((void)l["nope"], doctest::Contains("no segment \"nope\""), config_error);
}
