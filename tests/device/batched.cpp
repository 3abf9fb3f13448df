// Batched GEMM: gemm_batched on the device backend (cuBLAS gemmStridedBatched
// under CUDA, the cpu GEMM in a loop on the host systems) and on the cpu
// backend, against a naive product written here.
#include "compare.hpp"

using namespace latent;
using device_test::launches;
using device_test::random_tensor;

namespace {
/// The naive batched product: want_b = 1.5·op(A_b)·op(B_b) + beta·C_b over the padded layout.
std::vector<double> naive(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& c,
                          bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, std::size_t lda,
                          std::size_t sa, std::size_t ldb, std::size_t sb, float beta, std::size_t ldc,
                          std::size_t sc, std::size_t batch) {
    std::vector<double> want(c.begin(), c.end());
    for (std::size_t p = 0; p < batch; ++p)
        for (std::size_t i = 0; i < m; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                double s = 0;
                for (std::size_t q = 0; q < k; ++q) {
                    const double x = ta ? a[p * sa + q * lda + i] : a[p * sa + i * lda + q];
                    const double y = tb ? b[p * sb + j * ldb + q] : b[p * sb + q * ldb + j];
                    s += x * y;
                }
                const double old = c[p * sc + i * ldc + j];
                want[p * sc + i * ldc + j] = 1.5 * s + (beta == 0 ? 0.0 : beta * old);
            }
    return want;
}
std::size_t count_bad(const std::vector<float>& got, const std::vector<double>& want) {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < got.size(); ++i) bad += !(std::fabs(got[i] - want[i]) <= 1e-5 + 1e-5 * std::fabs(want[i]));
    return bad;
}
std::int64_t len(std::size_t n) { return static_cast<std::int64_t>(n); }
}  // namespace

TEST_CASE("device blas: gemm_batched matches a naive product for every transposition, beta and stride") {
    const std::size_t m = 4, n = 5, k = 3, batch = 3, pad = 2;
    for (bool ta : {false, true})
        for (bool tb : {false, true})
            for (float beta : {0.0f, 1.0f, -0.5f}) {
                CAPTURE(ta);
                CAPTURE(tb);
                CAPTURE(beta);
                const std::size_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                // Strides larger than one matrix: gaps between the batch's matrices stay untouched.
                const std::size_t sa = (ta ? k : m) * lda + 5, sb = (tb ? n : k) * ldb + 1, sc = m * ldc + 3;
                const auto a = random_tensor({len(batch * sa)}, 1).to_vector();
                const auto b = random_tensor({len(batch * sb)}, 2).to_vector();
                auto c = random_tensor({len(batch * sc)}, 3).to_vector();
                if (beta == 0) c[0] = NAN;  // beta = 0 ignores what C held
                const auto want = naive(a, b, c, ta, tb, m, n, k, lda, sa, ldb, sb, beta, ldc, sc, batch);

                auto da = tensor<float, device>::from_host({len(a.size())}, a);
                auto db = tensor<float, device>::from_host({len(b.size())}, b);
                auto dc = tensor<float, device>::from_host({len(c.size())}, c);
                const std::uint64_t g0 = device_stats().gemms.load(), l0 = launches();
                gemm_batched(device{}, ta, tb, m, n, k, 1.5f, da.data(), lda, sa, db.data(), ldb, sb, beta, dc.data(),
                             ldc, sc, batch);
                CHECK(device_stats().gemms.load() - g0 == 1);  // one call for the whole batch
                CHECK(launches() - l0 == 1);
                CHECK(count_bad(dc.to_vector(), want) == 0);

                auto cc = tensor<float>::from_host({len(c.size())}, c);
                gemm_batched(cpu{}, ta, tb, m, n, k, 1.5f, a.data(), lda, sa, b.data(), ldb, sb, beta, cc.data(), ldc,
                             sc, batch);
                CHECK(count_bad(cc.to_vector(), want) == 0);
            }
}

TEST_CASE("device blas: gemm_batched with an empty inner extent scales every C by beta") {
    auto c = tensor<float, device>::from_host({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
    gemm_batched(device{}, false, false, 2, 2, 0, 1.0f, static_cast<const float*>(nullptr), 1, 0,
                 static_cast<const float*>(nullptr), 2, 0, 2.0f, c.data(), 2, 4, 2);
    CHECK(c.to_vector() == std::vector<float>{2, 4, 6, 8, 10, 12, 14, 16});
    gemm_batched(device{}, false, false, 2, 2, 3, 1.0f, static_cast<const float*>(nullptr), 3, 0,
                 static_cast<const float*>(nullptr), 2, 0, 1.0f, c.data(), 2, 4, 0);  // batch 0: nothing
    CHECK(c.to_vector() == std::vector<float>{2, 4, 6, 8, 10, 12, 14, 16});
}
