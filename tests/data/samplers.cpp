// Samplers: seeded shuffles, stratified splits, class subsets, supervision masks and the
// pair/triplet sampler. Expected counts are worked out here from the class sizes (m·f and its
// rounding), never taken from the code under test.
#include <doctest/doctest.h>

#include <latent/data/samplers.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

using namespace latent;
using namespace latent::data;
using doctest::Contains;

namespace {
index_list iota_list(std::int64_t n) {
    index_list v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), std::int64_t{0});
    return v;
}
bool is_permutation_of_iota(index_list v) {
    std::sort(v.begin(), v.end());
    return v == iota_list(static_cast<std::int64_t>(v.size()));
}
/// Categorical labels with the given class sizes, classes interleaved (not sorted by class).
label_table categorical(const std::vector<int>& sizes) {
    label_table t;
    std::vector<int> left(sizes);
    bool any = true;
    while (any) {
        any = false;
        for (std::size_t c = 0; c < sizes.size(); ++c)
            if (left[c] > 0) {
                t.values.push_back(static_cast<std::int32_t>(c));
                --left[c];
                any = true;
            }
    }
    return t;
}
std::map<std::int32_t, std::int64_t> class_counts(const label_table& t, const index_list& idx, int column = 0) {
    std::map<std::int32_t, std::int64_t> m;
    for (auto i : idx) ++m[t.row(i)[static_cast<std::size_t>(column)]];
    return m;
}
bool sorted_unique(const index_list& v) { return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end(); }
}  // namespace

TEST_CASE("samplers: epoch permutation is a permutation and a function of seed and epoch only") {
    const auto p = epoch_permutation(1000, 7, 3);
    CHECK(is_permutation_of_iota(p));
    CHECK(p == epoch_permutation(1000, 7, 3));
    CHECK(p != epoch_permutation(1000, 7, 4));
    CHECK(p != epoch_permutation(1000, 8, 3));
    CHECK(p != iota_list(1000));
    // shuffled(list) moves the list's elements exactly as the permutation moves 0..n-1
    index_list list(1000);
    for (std::size_t k = 0; k < list.size(); ++k) list[k] = 5000 + 3 * static_cast<std::int64_t>(k);
    const auto s = shuffled(list, 7, 3);
    for (std::size_t k = 0; k < s.size(); ++k) CHECK(s[k] == list[static_cast<std::size_t>(p[k])]);
    CHECK(epoch_permutation(0, 1, 1).empty());
    CHECK(epoch_permutation(1, 1, 1) == index_list{0});
}

TEST_CASE("samplers: shuffle reaches all orders of four with equal frequency") {
    // 24 000 epochs of a 4-element shuffle: each of the 24 orders expects 1000 (σ ≈ 31); a biased
    // Fisher–Yates (j in [0, i), Sattolo's cycles) reaches only 6 orders and fails at once.
    std::map<index_list, int> seen;
    for (std::uint64_t e = 0; e < 24000; ++e) ++seen[epoch_permutation(4, 11, e)];
    CHECK(seen.size() == 24);
    for (const auto& [order, count] : seen) CHECK(std::abs(count - 1000) < 150);
}

TEST_CASE("samplers: batch count with and without drop_last") {
    CHECK(batch_count(103, 10, false) == 11);
    CHECK(batch_count(103, 10, true) == 10);
    CHECK(batch_count(100, 10, false) == 10);
    CHECK(batch_count(100, 10, true) == 10);
    CHECK(batch_count(9, 10, true) == 0);
    CHECK(batch_count(0, 10, false) == 0);
    CHECK_THROWS_AS(batch_count(10, 0, false), config_error);
}

TEST_CASE("samplers: stratified split keeps every class within one example of its share") {
    const std::vector<int> sizes = {37, 100, 5, 1, 2, 19, 250};
    const label_table t = categorical(sizes);
    for (const auto& [f0, f1, f2] : {std::tuple{0.8, 0.1, 0.1}, std::tuple{0.6, 0.25, 0.15}, std::tuple{1.0, 0.0, 0.0}}) {
        const auto s = stratified_split(t, split_options{}.fractions(f0, f1, f2).seed(5));
        const double f[3] = {f0, f1, f2};
        const index_list* parts[3] = {&s.train, &s.validation, &s.test};
        index_list all;
        for (int k = 0; k < 3; ++k) {
            CHECK(sorted_unique(*parts[k]));
            all.insert(all.end(), parts[k]->begin(), parts[k]->end());
            const auto counts = class_counts(t, *parts[k]);
            for (std::size_t c = 0; c < sizes.size(); ++c) {
                const auto it = counts.find(static_cast<std::int32_t>(c));
                const double got = it == counts.end() ? 0.0 : double(it->second);
                CHECK(std::abs(got - sizes[c] * f[k]) < 1.0);
            }
        }
        CHECK(all.size() == t.values.size());
        CHECK(is_permutation_of_iota(all));  // disjoint and covering
    }
    // class 1 (100 examples) splits exactly 80/10/10
    const auto s = stratified_split(t);
    CHECK(class_counts(t, s.train)[1] == 80);
    CHECK(class_counts(t, s.validation)[1] == 10);
    CHECK(class_counts(t, s.test)[1] == 10);
    // deterministic, and the seed matters
    CHECK(stratified_split(t).train == s.train);
    CHECK(stratified_split(t, split_options{}.seed(1)).train != s.train);
    CHECK_THROWS_WITH_AS(split_options{}.fractions(0.8, 0.1, 0.2), Contains("sum to 1"), config_error);
    CHECK_THROWS_AS(split_options{}.fractions(1.1, -0.1, 0.0), config_error);
}

TEST_CASE("samplers: stratified split of binary labels by tuple or by first label") {
    // two binary labels; tuple counts (0,0): 40, (0,1): 30, (1,0): 20, (1,1): 10
    label_table t;
    t.width = 2;
    const int n_of[2][2] = {{40, 30}, {20, 10}};
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
            for (int k = 0; k < n_of[a][b]; ++k) {
                t.values.push_back(a);
                t.values.push_back(b);
            }
    const auto s = stratified_split(t, split_options{}.fractions(0.5, 0.25, 0.25).seed(2));
    std::map<std::pair<int, int>, int> train;
    for (auto i : s.train) ++train[{t.row(i)[0], t.row(i)[1]}];
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) CHECK(std::abs(train[{a, b}] - 0.5 * n_of[a][b]) < 1.0);
    const auto f = stratified_split(t, split_options{}.fractions(0.5, 0.25, 0.25).by(stratify::first_label));
    const auto first = class_counts(t, f.train, 0);
    CHECK(first.at(0) == 35);  // 70 · 0.5
    CHECK(first.at(1) == 15);  // 30 · 0.5
}

TEST_CASE("samplers: the dataset's own split from a partition column") {
    const std::vector<std::int32_t> which = {0, 0, 1, 2, 0, 2, -1, 1};
    const auto s = split_indices::from_partition(which);
    CHECK(s.train == index_list{0, 1, 4});
    CHECK(s.validation == index_list{2, 7});
    CHECK(s.test == index_list{3, 5});
    const std::vector<std::int32_t> bad = {0, 3};
    CHECK_THROWS_WITH_AS(split_indices::from_partition(bad), Contains("example 1 is in partition 3"), config_error);
}

TEST_CASE("samplers: class subset keeps the indices whose label is in the set") {
    label_table t;
    t.values = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    CHECK(class_subset(t, iota_list(10), {1, 5}) == index_list{1, 3, 4, 8});
    CHECK(class_subset(t, {9, 8, 0, 2}, {3, 4, 5}) == index_list{9, 8, 0, 2});
    CHECK(class_subset(t, iota_list(10), {7}).empty());
    label_table b;  // two binary labels: keep those having label 1
    b.width = 2;
    b.values = {0, 1, 1, 0, 1, 1, 0, 0};
    CHECK(class_subset(b, iota_list(4), {1}, 1) == index_list{0, 2});
    CHECK_THROWS_AS(class_subset(b, iota_list(4), {1}, 2), config_error);
}

TEST_CASE("samplers: supervision mask keeps a stratified fraction of the training labels") {
    const std::vector<int> sizes = {300, 120, 57, 23, 500};
    const label_table t = categorical(sizes);
    const auto split = stratified_split(t);
    const std::int64_t n_train = static_cast<std::int64_t>(split.train.size());
    const auto train_counts = class_counts(t, split.train);
    for (double f : {0.1, 0.05, 0.37}) {
        const auto m = supervision_mask(t, split.train, f, 42);
        CHECK(static_cast<std::int64_t>(m.labelled.size()) == std::llround(f * n_train));
        CHECK(m.labelled.size() + m.unlabelled.size() == split.train.size());
        index_list both = m.labelled;
        both.insert(both.end(), m.unlabelled.begin(), m.unlabelled.end());
        std::sort(both.begin(), both.end());
        CHECK(both == split.train);
        const auto counts = class_counts(t, m.labelled);
        for (const auto& [c, n] : train_counts) CHECK(std::abs(double(counts.at(c)) - f * double(n)) < 1.0);
        for (auto i : m.labelled) CHECK(m(i));
        for (auto i : m.unlabelled) CHECK(!m(i));
        for (auto i : split.test) CHECK(m(i));  // held-out labels stay visible
        CHECK(supervision_mask(t, split.train, f, 42).labelled == m.labelled);
        CHECK(supervision_mask(t, split.train, f, 43).labelled != m.labelled);
    }
    CHECK(supervision_mask(t, split.train, 0.0, 1).labelled.empty());
    CHECK(supervision_mask(t, split.train, 1.0, 1).unlabelled.empty());
    CHECK_THROWS_AS(supervision_mask(t, split.train, 1.5, 1), config_error);
}

TEST_CASE("samplers: supervision mask keeps at least one label per class") {
    // f·m rounds to 0 for every class; the floor keeps one of each
    const label_table t = categorical({200, 40, 10, 3});
    const auto m = supervision_mask(t, iota_list(253), 0.001, 9);
    const auto counts = class_counts(t, m.labelled);
    CHECK(counts.size() == 4);
    for (const auto& [c, n] : counts) CHECK(n >= 1);
    // binary labels: both values of each label keep one
    label_table b;
    b.width = 3;
    for (int i = 0; i < 200; ++i) {
        b.values.push_back(i % 2);
        b.values.push_back(i == 17 ? 1 : 0);  // one positive only
        b.values.push_back(i % 5 == 0 ? 1 : 0);
    }
    const auto mb = supervision_mask(b, iota_list(200), 0.01, 3);
    for (int c = 0; c < 3; ++c) {
        const auto cc = class_counts(b, mb.labelled, c);
        CHECK(cc.count(0) == 1);
        CHECK(cc.count(1) == 1);
    }
    CHECK(mb(17));
}

TEST_CASE("samplers: pair sampler draws same-label partners and different-label others") {
    // labels: class 0 × 50, class 1 × 30, class 2 × 1 (a singleton), class 3 outside the pool
    label_table t;
    for (int i = 0; i < 50; ++i) t.values.push_back(0);
    for (int i = 0; i < 30; ++i) t.values.push_back(1);
    t.values.push_back(2);
    t.values.push_back(3);
    const index_list pool = iota_list(81);
    const pair_sampler ps(t, pool, 17);
    std::map<std::int64_t, int> partner_of_0;
    for (std::int64_t a = 0; a < 81; ++a)
        for (std::uint64_t round = 0; round < 20; ++round) {
            const triplet tr = ps.draw(a, round);
            CHECK(tr.anchor == a);
            CHECK(t.row(tr.same)[0] == t.row(a)[0]);
            CHECK(t.row(tr.other)[0] != t.row(a)[0]);
            CHECK(tr.other < 81);
            if (a != 80) CHECK(tr.same != a);
            else CHECK(tr.same == a);  // the singleton has no other partner
            if (a == 0) ++partner_of_0[tr.same];
            const triplet again = ps.draw(a, round);
            CHECK((again.same == tr.same && again.other == tr.other));
        }
    CHECK(partner_of_0.size() > 10);  // the draws vary with the round
    CHECK_THROWS_WITH_AS(ps.draw(81, 0), Contains("no pool example has the labels of anchor 81"), config_error);

    // any label: x2 ≠ x1, and same-label x2 occur
    const pair_sampler any(t, pool, 17, false);
    int same_label = 0;
    for (std::int64_t a = 0; a < 80; ++a) {
        const triplet tr = any.draw(a, 1);
        CHECK(tr.other != a);
        same_label += t.row(tr.other)[0] == t.row(a)[0];
    }
    CHECK(same_label > 0);

    // a pool with one label vector admits no different-label x2
    CHECK_THROWS_WITH_AS(pair_sampler(t, iota_list(50), 1), Contains("different = false"), config_error);
    // an anchor outside the pool takes partners from the pool
    const pair_sampler small(t, {0, 1, 50, 51}, 2);
    for (std::int64_t a : {2, 3, 52}) {
        const triplet tr = small.draw(a, 0);
        CHECK((tr.same == 0 || tr.same == 1 || tr.same == 50 || tr.same == 51));
        CHECK(t.row(tr.same)[0] == t.row(a)[0]);
    }
    // batch form agrees with single draws
    const index_list anchors = {3, 60, 80};
    const auto p = ps.draw(anchors, 5);
    for (std::size_t k = 0; k < anchors.size(); ++k) {
        CHECK(p.same[k] == ps.draw(anchors[k], 5).same);
        CHECK(p.other[k] == ps.draw(anchors[k], 5).other);
    }
}

TEST_CASE("samplers: pair sampler partners are uniform over the group") {
    // group of 4 (anchor 0 excluded: 3 candidates) and 2 others; 3000 rounds
    label_table t;
    t.values = {0, 0, 0, 0, 1, 1};
    const pair_sampler ps(t, iota_list(6), 4);
    std::map<std::int64_t, int> same, other;
    for (std::uint64_t r = 0; r < 3000; ++r) {
        const triplet tr = ps.draw(0, r);
        ++same[tr.same];
        ++other[tr.other];
    }
    CHECK(same.size() == 3);
    for (const auto& [i, n] : same) CHECK(std::abs(n - 1000) < 120);
    CHECK(other.size() == 2);
    for (const auto& [i, n] : other) CHECK(std::abs(n - 1500) < 150);
}
