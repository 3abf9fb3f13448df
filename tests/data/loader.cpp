// The loader: coverage per epoch, identical batches with and without the background thread,
// exceptions carried to the consumer, clean shutdown mid-epoch, resumption from a saved state,
// hidden labels and interleaved streams, and no heap allocation in steady state.
//
// The test set writes each example's own index into its features and i mod 3 as its label, so
// every batch can be checked against its index list with no reference but the index itself.
#include <doctest/doctest.h>

#include <latent/data/loader.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <new>
#include <numeric>
#include <thread>

// Our operator new is malloc, so free() in operator delete matches it; GCC cannot see that.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> news{0};
}  // namespace

void* operator new(std::size_t n) {
    news.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
    news.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::aligned_alloc(static_cast<std::size_t>(a), (n + std::size_t(a) - 1) / std::size_t(a) * std::size_t(a)))
        return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
// the nothrow forms too (std::stable_sort's buffer uses them), so every delete below frees our malloc
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    news.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    news.fetch_add(1, std::memory_order_relaxed);
    return std::aligned_alloc(static_cast<std::size_t>(a), (n + std::size_t(a) - 1) / std::size_t(a) * std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t& t) noexcept { return operator new(n, a, t); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

using namespace latent;
using namespace latent::data;
using doctest::Contains;

namespace {
constexpr std::int64_t features = 4;  // examples are 1×2×2

/// n examples; example i has features (i, i, i, i) and label i mod 3.
in_memory indexed_set(std::int64_t n) {
    std::vector<float> x(static_cast<std::size_t>(n * features));
    std::vector<std::int32_t> y(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        for (std::int64_t k = 0; k < features; ++k) x[static_cast<std::size_t>(i * features + k)] = float(i);
        y[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i % 3);
    }
    return in_memory::from_floats(example_layout{{1, 2, 2}, 1, 3, {}}, std::move(x), std::move(y));
}

/// A source that throws on one example, and may read slowly.
struct flaky {
    in_memory inner;
    std::int64_t bad;
    int delay_us = 0;
    std::int64_t size() const { return inner.size(); }
    const example_layout& layout() const { return inner.layout(); }
    void read(std::int64_t i, float* x, std::int32_t* y) const {
        if (delay_us) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        if (i == bad) throw io_error("flaky: example " + std::to_string(i) + " is corrupt");
        inner.read(i, x, y);
    }
};
static_assert(source<flaky>);

index_list iota_list(std::int64_t n) {
    index_list v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), std::int64_t{0});
    return v;
}

/// What a batch held, on the host, for comparisons.
struct seen {
    index_list indices;
    std::vector<float> x;
    std::vector<std::int32_t> y;
    std::vector<float> labelled;
    bool operator==(const seen&) const = default;
};
template <class T>
seen record(const batch<T>& b) {
    seen s{b.indices, {}, b.y.to_vector(), {}};
    for (T v : b.x.to_vector()) s.x.push_back(static_cast<float>(v));
    for (T v : b.labelled.to_vector()) s.labelled.push_back(static_cast<float>(v));
    return s;
}
/// Every batch of `epochs` epochs, an empty record marking each epoch's end.
template <class T = float>
std::vector<seen> drain(loader<T>& l, int epochs) {
    std::vector<seen> out;
    batch<T> b;
    for (int e = 0; e < epochs; ++e) {
        while (l.next(b)) out.push_back(record(b));
        out.push_back(seen{});
    }
    return out;
}
/// Checks that a batch's features and labels are those of its indices.
void check_contents(const seen& s, std::int32_t hidden = -1) {
    REQUIRE(s.x.size() == s.indices.size() * features);
    for (std::size_t k = 0; k < s.indices.size(); ++k) {
        for (std::int64_t f = 0; f < features; ++f) CHECK(s.x[k * features + static_cast<std::size_t>(f)] == float(s.indices[k]));
        CHECK(s.y[k] == (s.labelled[k] == 1.0f ? static_cast<std::int32_t>(s.indices[k] % 3) : hidden));
    }
}
}  // namespace

TEST_CASE("loader: every index exactly once per epoch in the seeded order") {
    const in_memory d = indexed_set(103);
    for (bool bg : {false, true}) {
        CAPTURE(bg);
        loader<float> l(d, loader_options{}.batch_size(10).seed(9).background(bg));
        CHECK(l.batches_per_epoch() == 11);
        for (std::uint64_t e = 0; e < 3; ++e) {
            CHECK(l.state() == loader_state{e, 0});
            index_list order;
            batch<float> b;
            int batches = 0;
            while (l.next(b)) {
                ++batches;
                CHECK(b.x.shape() == shape{b.size(), 1, 2, 2});
                CHECK(b.y.shape() == shape{b.size(), 1});
                CHECK(b.labelled.shape() == shape{b.size()});
                CHECK(b.size() == (batches == 11 ? 3 : 10));
                check_contents(record(b));
                order.insert(order.end(), b.indices.begin(), b.indices.end());
                CHECK(l.state() == loader_state{e, batches});
            }
            CHECK(batches == 11);
            CHECK(order == shuffled(iota_list(103), 9, e));  // a function of (seed, epoch)
        }
        CHECK(l.state() == loader_state{3, 0});
    }
}

TEST_CASE("loader: drop_last drops the short tail and shuffle off keeps the list order") {
    const in_memory d = indexed_set(103);
    const index_list list = {5, 3, 99, 42, 7, 0, 1, 2, 8, 77, 13};
    loader<float> l(d, list, loader_options{}.batch_size(4).drop_last(true).shuffle(false));
    CHECK(l.batches_per_epoch() == 2);
    index_list got;
    batch<float> b;
    while (l.next(b)) got.insert(got.end(), b.indices.begin(), b.indices.end());
    CHECK(got == index_list{5, 3, 99, 42, 7, 0, 1, 2});

    loader<float> s(d, loader_options{}.batch_size(10).drop_last(true).seed(4));
    CHECK(s.batches_per_epoch() == 10);
    got.clear();
    while (s.next(b)) {
        CHECK(b.size() == 10);
        got.insert(got.end(), b.indices.begin(), b.indices.end());
    }
    const index_list order = shuffled(iota_list(103), 4, 0);
    CHECK(got == index_list(order.begin(), order.begin() + 100));

    // no batch at all: every epoch ends at once, in both modes
    for (bool bg : {false, true}) {
        loader<float> e(d, loader_options{}.batch_size(200).drop_last(true).background(bg));
        CHECK(e.batches_per_epoch() == 0);
        for (std::uint64_t k = 0; k < 10; ++k) {
            CHECK_FALSE(e.next(b));
            CHECK(e.state() == loader_state{k + 1, 0});
        }
        loader<float> none(d, index_list{}, loader_options{}.background(bg));
        CHECK_FALSE(none.next(b));
    }
}

TEST_CASE("loader: batches are identical with and without the background thread") {
    const in_memory d = indexed_set(250);
    const auto mask = supervision_mask(label_table::of(d), iota_list(200), 0.2, 5);
    const auto opts = loader_options{}.batch_size(16).seed(3).supervision(mask);
    loader<float> sync(d, iota_list(200), loader_options(opts).background(false));
    loader<float> bg(d, iota_list(200), loader_options(opts).background(true).prefetch(2));
    const auto a = drain(sync, 3), b = drain(bg, 3);
    CHECK(a.size() == 3 * (13 + 1));
    CHECK(a == b);
    // double precision batches hold the same values
    loader<double> dbl(d, iota_list(200), loader_options(opts).background(true));
    CHECK(drain(dbl, 2) == std::vector<seen>(a.begin(), a.begin() + 2 * 14));
}

TEST_CASE("loader: hidden labels are masked and replaced by the hidden value") {
    const in_memory d = indexed_set(120);
    const auto mask = supervision_mask(label_table::of(d), iota_list(120), 0.25, 8);
    for (bool bg : {false, true}) {
        loader<float> l(d, loader_options{}.batch_size(32).supervision(mask).hidden_label(-7).background(bg));
        int labelled = 0;
        for (const auto& s : drain(l, 1)) {
            check_contents(s, -7);
            for (std::size_t k = 0; k < s.indices.size(); ++k) {
                CHECK((s.labelled[k] == 1.0f) == mask(s.indices[k]));
                labelled += s.labelled[k] == 1.0f;
            }
        }
        CHECK(labelled == 30);
    }
}

TEST_CASE("loader: interleave yields labelled and unlabelled batches in the chosen ratio") {
    // 100 training examples, 20 labelled: with batches of 10 the labelled stream has 2 batches and
    // the unlabelled 8; at 1:2 the unlabelled stream needs 4 rounds, the labelled 2, so an epoch is
    // L U U L U U L U U L U U: 12 batches, every unlabelled index once, the labelled ones twice.
    const in_memory d = indexed_set(100);
    const auto mask = supervision_mask(label_table::of(d), iota_list(100), 0.2, 1);
    REQUIRE(mask.labelled.size() == 20);
    for (bool bg : {false, true}) {
        loader<float> l(d, loader_options{}.batch_size(10).supervision(mask).interleave(1, 2).seed(6).background(bg));
        CHECK(l.batches_per_epoch() == 12);
        for (int e = 0; e < 2; ++e) {
            std::map<std::int64_t, int> visits;
            batch<float> b;
            int p = 0;
            while (l.next(b)) {
                const seen s = record(b);
                check_contents(s);
                const bool want_labelled = p % 3 == 0;
                for (std::size_t k = 0; k < s.indices.size(); ++k) {
                    CHECK((s.labelled[k] == 1.0f) == want_labelled);
                    CHECK(mask(s.indices[k]) == want_labelled);
                    ++visits[s.indices[k]];
                }
                ++p;
            }
            CHECK(p == 12);
            for (auto i : mask.unlabelled) CHECK(visits[i] == 1);
            for (auto i : mask.labelled) CHECK(visits[i] == 2);
        }
    }
    // 3:1 with the same streams: the labelled stream needs ⌈2/3⌉ = 1 round, the unlabelled 8, so
    // the unlabelled stream still sets the epoch: 7 full rounds of 4 and a last L L L U, 32 batches
    loader<float> r(d, loader_options{}.batch_size(10).supervision(mask).interleave(3, 1));
    CHECK(r.batches_per_epoch() == 32);
    CHECK(drain(r, 1).size() == 33);
    // the labelled stream sets the epoch when it needs more rounds: 1:8 gives rounds of L and 8 U
    loader<float> q(d, loader_options{}.batch_size(10).supervision(mask).interleave(1, 8));
    CHECK(q.batches_per_epoch() == 10);  // L U×8 L
    CHECK_THROWS_WITH_AS(loader<float>(d, loader_options{}.interleave(1, 1)), Contains("needs a supervision mask"),
                         config_error);
    const auto none = supervision_mask(label_table::of(d), iota_list(100), 0.0, 1);
    CHECK_THROWS_WITH_AS(loader<float>(d, loader_options{}.supervision(none).interleave(1, 1)),
                         Contains("labelled examples"), config_error);
}

TEST_CASE("loader: resuming from a saved state gives exactly the remaining batches") {
    const in_memory d = indexed_set(90);
    const auto mask = supervision_mask(label_table::of(d), iota_list(90), 0.3, 2);
    for (const auto& opts : {loader_options{}.batch_size(7).seed(12),
                             loader_options{}.batch_size(7).seed(12).drop_last(true).supervision(mask),
                             loader_options{}.batch_size(8).seed(12).supervision(mask).interleave(1, 2)}) {
        for (bool bg : {false, true}) {
            CAPTURE(bg);
            loader<float> whole(d, loader_options(opts).background(bg));
            const auto all = drain(whole, 3);
            // interrupt in epoch 1 after 4 batches
            loader_state saved;
            std::size_t consumed = 0;
            {
                loader<float> first(d, loader_options(opts).background(bg));
                consumed = drain(first, 1).size();
                batch<float> b;
                for (int k = 0; k < 4; ++k) {
                    REQUIRE(first.next(b));
                    ++consumed;
                }
                saved = first.state();
            }  // destroyed mid-epoch, with batches prefetched
            CHECK(saved == loader_state{1, 4});
            loader<float> resumed(d, loader_options(opts).background(bg).start(saved));
            auto rest = drain(resumed, 2);
            CHECK(std::vector<seen>(all.begin() + static_cast<std::ptrdiff_t>(consumed), all.end()) == rest);
            // a state at the end of an epoch resumes into the next one
            loader<float> at_end(d, loader_options(opts).background(bg).start({0, whole.batches_per_epoch()}));
            batch<float> b;
            CHECK_FALSE(at_end.next(b));
            CHECK(at_end.state() == loader_state{1, 0});
        }
    }
    CHECK_THROWS_AS(loader<float>(d, loader_options{}.batch_size(10).start({0, 10})), config_error);
}

TEST_CASE("loader: exceptions from read reach the consumer with their message") {
    const flaky d{indexed_set(50), 23};
    for (bool bg : {false, true}) {
        CAPTURE(bg);
        // no shuffle: example 23 is in batch 2 (examples 20-29)
        loader<float> l(d, loader_options{}.batch_size(10).shuffle(false).background(bg));
        batch<float> b;
        CHECK(l.next(b));
        CHECK(l.next(b));
        CHECK(b.indices.front() == 10);
        CHECK_THROWS_WITH_AS(l.next(b), "flaky: example 23 is corrupt", io_error);
        CHECK(l.state() == loader_state{0, 2});  // the failed batch is still to come
        CHECK_THROWS_WITH_AS(l.next(b), "flaky: example 23 is corrupt", io_error);
    }
    // a loader whose first batch fails, destroyed without asking for it
    { loader<float> l(d, iota_list(30), loader_options{}.batch_size(30).shuffle(false)); }
    CHECK_THROWS_WITH_AS(loader<float>(d, index_list{3, 50}), Contains("index 50 at position 1"), config_error);
}

TEST_CASE("loader: destruction mid-epoch is clean") {
    const flaky slow{indexed_set(200), -1, 50};
    const in_memory fast = indexed_set(200);
    for (int round = 0; round < 20; ++round) {
        {  // worker blocked on a full queue
            loader<float> l(fast, loader_options{}.batch_size(8).prefetch(2));
            batch<float> b;
            CHECK(l.next(b));
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        {  // worker in the middle of a slow read, nothing consumed
            loader<float> l(slow, loader_options{}.batch_size(16).prefetch(3));
        }
        {  // consumer and worker racing
            loader<float> l(slow, loader_options{}.batch_size(4).prefetch(1));
            batch<float> b;
            for (int k = 0; k < round % 4; ++k) CHECK(l.next(b));
        }
    }
}

TEST_CASE("loader: steady state asks the heap for nothing") {
    const in_memory d = indexed_set(1000);
    for (bool bg : {false, true}) {
        CAPTURE(bg);
        loader<float> l(d, loader_options{}.batch_size(64).background(bg).seed(1));
        batch<float> b;
        for (int e = 0; e < 2; ++e)
            while (l.next(b)) {
            }
        const long before = news.load();
        for (int e = 0; e < 2; ++e)
            while (l.next(b)) {
            }
        CHECK(news.load() - before == 0);
    }
}

TEST_CASE("loader: read_batch gathers given indices") {
    const in_memory d = indexed_set(30);
    const index_list idx = {4, 29, 4, 0};
    const auto b = read_batch<double>(d, idx);
    CHECK(b.x.shape() == shape{4, 1, 2, 2});
    check_contents(record(b));
    CHECK(b.indices == idx);
    CHECK_THROWS_AS(read_batch(d, index_list{30}), config_error);
}
