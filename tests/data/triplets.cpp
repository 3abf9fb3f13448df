// data::triplet_sampler (data/triplets.hpp): every triplet valid, uniform over its candidates,
// a pure function of its seed, and clear errors when a query cannot give triplets.
#include <doctest/doctest.h>

#include <latent/data/shapes.hpp>
#include <latent/data/triplets.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <vector>

using namespace latent;
using namespace latent::data;

namespace {
/// Two columns over 12 examples: column 0 cycles 0 1 2, column 1 is 0 for the first half, 1 after.
label_table small_table() {
    label_table t;
    t.width = 2;
    for (std::int32_t i = 0; i < 12; ++i) {
        t.values.push_back(i % 3);
        t.values.push_back(i < 6 ? 0 : 1);
    }
    return t;
}
}  // namespace

TEST_CASE("triplet_sampler: j shares the anchor's value in the query column, k does not, j is never the anchor") {
    const label_table t = small_table();
    for (int column = 0; column < 2; ++column) {
        const triplet_sampler s(t, column, 17);
        CHECK(s.column() == column);
        CHECK(s.anchors().size() == 12);
        std::map<std::int64_t, std::set<std::int64_t>> js, ks;
        for (std::uint64_t round = 0; round < 200; ++round)
            for (std::int64_t a = 0; a < 12; ++a) {
                const triplet tr = s.draw(a, round);
                CHECK(tr.anchor == a);
                CHECK(tr.same != a);
                CHECK(t.row(tr.same)[column] == t.row(a)[column]);
                CHECK(t.row(tr.other)[column] != t.row(a)[column]);
                js[a].insert(tr.same);
                ks[a].insert(tr.other);
            }
        // Uniform over the candidates: 200 rounds reach every one.
        const std::size_t same_candidates = column == 0 ? 3 : 5, other_candidates = column == 0 ? 8 : 6;
        for (std::int64_t a = 0; a < 12; ++a) {
            CHECK(js[a].size() == same_candidates);
            CHECK(ks[a].size() == other_candidates);
        }
    }
}

TEST_CASE("triplet_sampler: draws are a function of seed, column, anchor and round; batches likewise") {
    const label_table t = small_table();
    const triplet_sampler a(t, 0, 5), b(t, 0, 5), other_seed(t, 0, 6), other_column(t, 1, 5);
    int differ_round = 0, differ_seed = 0;
    for (std::int64_t i = 0; i < 12; ++i) {
        const triplet x = a.draw(i, 3), y = b.draw(i, 3);
        CHECK((x.same == y.same && x.other == y.other));
        const triplet r = a.draw(i, 4), s = other_seed.draw(i, 3);
        differ_round += r.same != x.same || r.other != x.other;
        differ_seed += s.same != x.same || s.other != x.other;
    }
    CHECK(differ_round > 0);
    CHECK(differ_seed > 0);

    const auto many = a.draw_many(500, 2), again = b.draw_many(500, 2);
    REQUIRE(many.size() == 500);
    std::set<std::int64_t> anchors;
    for (std::size_t k = 0; k < many.size(); ++k) {
        CHECK((many[k].anchor == again[k].anchor && many[k].same == again[k].same && many[k].other == again[k].other));
        CHECK(many[k].same != many[k].anchor);
        CHECK(t.row(many[k].same)[0] == t.row(many[k].anchor)[0]);
        CHECK(t.row(many[k].other)[0] != t.row(many[k].anchor)[0]);
        anchors.insert(many[k].anchor);
    }
    CHECK(anchors.size() == 12);
    const auto column1 = other_column.draw_many(50, 2);
    for (const auto& tr : column1) CHECK(t.row(tr.other)[1] != t.row(tr.anchor)[1]);
    CHECK(a.draw_many(0).empty());
}

TEST_CASE("triplet_sampler: a pool limits the candidates; anchors without a j are left out of draw_many") {
    label_table t;
    t.width = 1;
    t.values = {0, 0, 1, 2, 2, 2, 3};  // value 1 and 3 occur once
    const triplet_sampler s(t, 0, 1);
    CHECK(s.anchors() == index_list{0, 1, 3, 4, 5});
    CHECK_FALSE(s.has_triplet(2));
    CHECK(s.has_triplet(0));
    CHECK_THROWS_AS(s.draw(2), config_error);
    for (const auto& tr : s.draw_many(100)) CHECK((tr.anchor != 2 && tr.anchor != 6));

    const triplet_sampler pooled(t, 0, 1, {0, 1, 2, 3});
    CHECK(pooled.anchors() == index_list{0, 1});
    // An anchor outside the pool draws from it: 4 has value 2, whose only pool example is 3.
    CHECK(pooled.has_triplet(4));
    CHECK(pooled.draw(4).same == 3);
    CHECK_FALSE(pooled.has_triplet(6));  // value 3 is not in the pool
    for (std::uint64_t round = 0; round < 20; ++round) {
        const triplet tr = pooled.draw(0, round);
        CHECK(tr.same == 1);
        CHECK((tr.other == 2 || tr.other == 3));
    }
}

TEST_CASE("triplet_sampler: impossible queries are refused with config_error naming why") {
    const label_table t = small_table();
    CHECK_THROWS_WITH_AS(triplet_sampler(t, 2, 0), doctest::Contains("label column 2"), config_error);
    CHECK_THROWS_WITH_AS(triplet_sampler(t, -1, 0), doctest::Contains("label column -1"), config_error);
    CHECK_THROWS_WITH_AS(triplet_sampler(t, 1, 0, {0, 1, 2}), doctest::Contains("no triplet has a k"), config_error);
    CHECK_THROWS_WITH_AS(triplet_sampler(t, 0, 0, {0, 1, 2}), doctest::Contains("no anchor has a j"), config_error);
    CHECK_THROWS_WITH_AS(triplet_sampler(t, 0, 0, {0, 40}), doctest::Contains("pool index 40"), config_error);
    CHECK_THROWS_AS(triplet_sampler(label_table{{}, 1}, 0, 0), config_error);
    const triplet_sampler s(t, 0, 0);
    CHECK_THROWS_WITH_AS(s.draw(12), doctest::Contains("anchor 12"), config_error);
    CHECK_THROWS_AS(s.draw_many(-1), config_error);
}

TEST_CASE("triplet_sampler: on the shapes set's factor labels, each query's triplets share only that factor's value") {
    const data::shapes s(data::shapes_options{}.scales(2).orientations(2).positions(3).factor_labels(
        {shape_factor::shape, shape_factor::scale, shape_factor::pos_x}));
    const label_table t = label_table::of(s);
    REQUIRE(t.width == 3);
    for (int q = 0; q < 3; ++q) {
        const triplet_sampler sampler(t, q, 8);
        for (const auto& tr : sampler.draw_many(100)) {
            const shape_factors a = s.factors_of(tr.anchor), j = s.factors_of(tr.same), k = s.factors_of(tr.other);
            const shape_factor f = q == 0 ? shape_factor::shape : q == 1 ? shape_factor::scale : shape_factor::pos_x;
            CHECK(a[f] == j[f]);
            CHECK(a[f] != k[f]);
        }
    }
}
