// The device backend's own functions (memory, transfers, the launch layer and
// its counter, GEMM, row and column sums) and tensors on it, checked against
// naive loops written here and against the cpu backend.
#include "compare.hpp"

#include <cstring>

using namespace latent;
using device_test::check_close;
using device_test::check_equal;
using device_test::launches;
using device_test::random_tensor;

static_assert(backend<device>);

namespace {
struct set_index {
    std::size_t* out;
    LATENT_HD void operator()(std::size_t i) const { out[i] = i * 3 + 1; }
};
}  // namespace

TEST_CASE("device memory: allocation, device copies and host transfers round-trip the bytes") {
    constexpr std::size_t n = 1000;
    void* a = allocate_bytes(device{}, n);
    void* b = allocate_bytes(device{}, n);
    CHECK(reinterpret_cast<std::uintptr_t>(a) % device_alignment == 0);
    std::vector<unsigned char> host(n), back(n, 0);
    for (std::size_t i = 0; i < n; ++i) host[i] = static_cast<unsigned char>(i * 7 + 3);
    const std::uint64_t t0 = device_stats().host_transfers.load();
    copy_from_host(device{}, a, host.data(), n);
    copy_bytes(device{}, b, a, n);
    copy_to_host(device{}, back.data(), b, n);
    CHECK(device_stats().host_transfers.load() - t0 == 2);
    CHECK(std::memcmp(host.data(), back.data(), n) == 0);
    copy_to_host(device{}, back.data(), b, 0);  // nothing to move: not a transfer
    CHECK(device_stats().host_transfers.load() - t0 == 2);
    free_bytes(device{}, a);
    free_bytes(device{}, b);
    free_bytes(device{}, nullptr);
}

TEST_CASE("device launch: every launch runs each index once and is counted, cpu launches are not") {
    constexpr std::size_t n = 100000;  // above the cpu backend's parallel threshold: threads do take part
    void* p = allocate_bytes(device{}, n * sizeof(std::size_t));
    auto* out = static_cast<std::size_t*>(p);
    const std::uint64_t l0 = launches();
    launch(device{}, n, set_index{out});
    CHECK(launches() - l0 == 1);
    std::vector<std::size_t> host(n);
    copy_to_host(device{}, host.data(), out, n * sizeof(std::size_t));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < n; ++i) wrong += host[i] != i * 3 + 1;
    CHECK(wrong == 0);

    launch_coarse(device{}, 0, set_index{out});  // an empty launch is still a (counted) call
    CHECK(launches() - l0 == 2);
    std::vector<std::size_t> on_host(4);
    launch(cpu{}, 4, set_index{on_host.data()});
    launch_coarse(cpu{}, 4, set_index{on_host.data()});
    CHECK(launches() - l0 == 2);
    free_bytes(device{}, p);

    device_stats().reset();
    CHECK(launches() == 0);
    CHECK(device_stats().gemms.load() == 0);
}

TEST_CASE("device blas: gemm matches a naive product for every transposition, beta and leading dimension") {
    const std::size_t m = 5, n = 7, k = 6, pad = 3;
    for (bool ta : {false, true})
        for (bool tb : {false, true})
            for (float beta : {0.0f, 1.0f, -0.5f}) {
                CAPTURE(ta);
                CAPTURE(tb);
                CAPTURE(beta);
                const std::size_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                const auto a = random_tensor({static_cast<std::int64_t>((ta ? k : m) * lda)}, 1).to_vector();
                const auto b = random_tensor({static_cast<std::int64_t>((tb ? n : k) * ldb)}, 2).to_vector();
                auto c = random_tensor({static_cast<std::int64_t>(m * ldc)}, 3).to_vector();
                if (beta == 0) c[0] = NAN;  // beta = 0 ignores what C held
                std::vector<double> want(m * ldc);
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < ldc; ++j) {
                        if (j >= n) {
                            want[i * ldc + j] = c[i * ldc + j];  // outside the block: untouched
                            continue;
                        }
                        double s = 0;
                        for (std::size_t q = 0; q < k; ++q) {
                            const double x = ta ? a[q * lda + i] : a[i * lda + q];
                            const double y = tb ? b[j * ldb + q] : b[q * ldb + j];
                            s += x * y;
                        }
                        want[i * ldc + j] = 1.5 * s + (beta == 0 ? 0.0 : double(beta) * c[i * ldc + j]);
                    }
                auto da = tensor<float, device>::from_host({static_cast<std::int64_t>(a.size())}, a);
                auto db = tensor<float, device>::from_host({static_cast<std::int64_t>(b.size())}, b);
                auto dc = tensor<float, device>::from_host({static_cast<std::int64_t>(c.size())}, c);
                const std::uint64_t g0 = device_stats().gemms.load(), l0 = launches();
                gemm(device{}, ta, tb, m, n, k, 1.5f, da.data(), lda, db.data(), ldb, beta, dc.data(), ldc);
                CHECK(device_stats().gemms.load() - g0 == 1);
                CHECK(launches() - l0 >= 1);
                const auto got = dc.to_vector();
                std::size_t bad = 0;
                for (std::size_t i = 0; i < got.size(); ++i)
                    bad += !(std::fabs(got[i] - want[i]) <= 1e-5 + 1e-5 * std::fabs(want[i]));
                CHECK(bad == 0);
            }
}

TEST_CASE("device blas: gemm with an empty inner extent scales C by beta") {
    auto c = tensor<float, device>::from_host({2, 2}, {1, 2, 3, 4});
    gemm(device{}, false, false, 2, 2, 0, 1.0f, static_cast<const float*>(nullptr), 1,
         static_cast<const float*>(nullptr), 2, 2.0f, c.data(), 2);
    CHECK(c.to_vector() == std::vector<float>{2, 4, 6, 8});
    gemm(device{}, false, false, 2, 2, 0, 1.0f, static_cast<const float*>(nullptr), 1,
         static_cast<const float*>(nullptr), 2, 0.0f, c.data(), 2);
    CHECK(c.to_vector() == std::vector<float>{0, 0, 0, 0});
}

TEST_CASE("device reduce: row and column sums match naive double sums, short and long, one launch each") {
    for (auto [rows, cols] : {std::pair<std::size_t, std::size_t>{4, 5}, {1, 7000}, {3, 2049}, {7000, 2}, {2049, 3},
                              {0, 3}, {3, 0}}) {
        CAPTURE(rows);
        CAPTURE(cols);
        const auto x = random_tensor({static_cast<std::int64_t>(rows), static_cast<std::int64_t>(cols)}, 7);
        const auto host = x.to_vector();
        std::vector<double> rs(rows, 0.0), cs(cols, 0.0);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < cols; ++c) {
                rs[r] += host[r * cols + c];
                cs[c] += host[r * cols + c];
            }
        const auto dx = x.to<device>();
        tensor<float, device> dr(shape{static_cast<std::int64_t>(rows)}), dc(shape{static_cast<std::int64_t>(cols)});
        dr.fill_(NAN);
        dc.fill_(NAN);
        const std::uint64_t l0 = launches();
        row_sums(device{}, dx.data(), rows, cols, dr.data());
        CHECK(launches() - l0 == 1);
        column_sums(device{}, dx.data(), rows, cols, dc.data());
        CHECK(launches() - l0 == 2);
        const auto gr = dr.to_vector(), gc = dc.to_vector();
        for (std::size_t r = 0; r < rows; ++r) CHECK(gr[r] == doctest::Approx(rs[r]).epsilon(1e-6).scale(1));
        for (std::size_t c = 0; c < cols; ++c) CHECK(gc[c] == doctest::Approx(cs[c]).epsilon(1e-6).scale(1));
    }
}

TEST_CASE("device reduce: sums accumulate in double and round once") {
    // In float, 1e8 + 1 rounds back to 1e8, so a float accumulator would give 0 for both rows.
    const auto x = tensor<float>::from_host({2, 3}, {1e8f, 1.0f, -1e8f, 1.0f, 1e8f, -1e8f}).to<device>();
    tensor<float, device> r(shape{2}), c(shape{2});
    row_sums(device{}, x.data(), 2, 3, r.data());
    CHECK(r.to_vector() == std::vector<float>{1.0f, 1.0f});
    const auto xt = tensor<float>::from_host({3, 2}, {1e8f, 1.0f, 1.0f, 1e8f, -1e8f, -1e8f}).to<device>();
    column_sums(device{}, xt.data(), 3, 2, c.data());  // the transpose: columns are the rows above
    CHECK(c.to_vector() == std::vector<float>{1.0f, 1.0f});
}

TEST_CASE("device tensor: transfers between backends copy exactly, for every element type") {
    const auto f = random_tensor({3, 4}, 11);
    const tensor<float, device> d = f.to<device>();
    CHECK(d.shape() == f.shape());
    CHECK(d.to<cpu>().to_vector() == f.to_vector());
    const tensor<float, device> dd = d.to<device>();  // a copy on the same backend
    CHECK_FALSE(dd.shares_storage_with(d));
    CHECK(dd.to_vector() == f.to_vector());

    const auto i32 = tensor<std::int32_t>::from_host({4}, {-3, 0, 7, 2147483647});
    CHECK(i32.to<device>().to<cpu>().to_vector() == i32.to_vector());
    const auto u8 = tensor<std::uint8_t>::from_host({3}, {0, 128, 255});
    CHECK(u8.to<device>().to_vector() == u8.to_vector());
    const auto f64 = random_tensor<double>({5}, 12);
    CHECK(f64.to<device>().to<cpu>().to_vector() == f64.to_vector());

    CHECK(tensor<float, device>::scalar(2.5f).item() == 2.5f);
    CHECK(tensor<float, device>::from_host({2}, {1, 2}).to<cpu>().to_vector() == std::vector<float>{1, 2});
}

TEST_CASE("device tensor: fills, conversions, clones, row views and finiteness run on the device") {
    const std::uint64_t l0 = launches();
    auto z = tensor<float, device>::full({2, 3}, 1.25f);
    CHECK(launches() > l0);
    CHECK(z.to_vector() == std::vector<float>(6, 1.25f));

    const auto x = random_tensor({4, 3}, 13, -5, 5);
    const auto dx = x.to<device>();
    check_equal(x.as<std::int32_t>(), dx.as<std::int32_t>(), "as<int32>");
    check_equal(x.as<double>(), dx.as<double>(), "as<double>");
    check_equal(x.rows(1, 3).clone(), dx.rows(1, 3).clone(), "rows(1, 3)");
    tensor<float, device> target(shape{4, 3});
    target.copy_(dx);
    check_equal(x, target, "copy_");

    CHECK(all_finite(dx));
    std::vector<float> v = x.to_vector();
    v[5] = INFINITY;
    CHECK_FALSE(all_finite(tensor<float, device>::from_host(x.shape(), v)));
    v[5] = NAN;
    CHECK_FALSE(all_finite(tensor<float, device>::from_host(x.shape(), v)));
}

TEST_CASE("device arena: tensors and the scratch of long sums reuse cached device blocks") {
    auto& a = arena<device>::instance();
    const auto long_rows = random_tensor({2, 5000}, 14).to<device>();
    auto work = [&](int i) {
        tensor<float, device> t(shape{1000});
        t.fill_(float(i));
        tensor<float, device> sums(shape{2});
        row_sums(device{}, long_rows.data(), 2, 5000, sums.data());  // with CUB's scratch under CUDA
        column_sums(device{}, long_rows.data(), 5000, 2, sums.data());  // the same values as [5000, 2]
    };
    work(0);
    const std::size_t before = a.stats().backend_allocations;
    for (int i = 1; i < 10; ++i) work(i);
    CHECK(a.stats().backend_allocations == before);
}
