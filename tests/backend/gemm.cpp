#include <doctest/doctest.h>

#include <latent/backend/cpu.hpp>

#include <random>
#include <vector>

using namespace latent;

namespace {
/// C = alpha·op(A)·op(B) + beta·C by the definition, in double.
template <class T>
std::vector<T> naive(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha, const std::vector<T>& a,
                     std::size_t lda, const std::vector<T>& b, std::size_t ldb, double beta, std::vector<T> c,
                     std::size_t ldc) {
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < n; ++j) {
            double s = 0;
            for (std::size_t p = 0; p < k; ++p) s += double(ta ? a[p * lda + i] : a[i * lda + p]) * double(tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = T(alpha * s + beta * double(c[i * ldc + j]));
        }
    return c;
}

template <class T>
void check_gemm(std::size_t m, std::size_t n, std::size_t k, double tolerance) {
    std::mt19937 gen(unsigned(m * 131 + n * 17 + k));
    std::uniform_real_distribution<double> u(-1, 1);
    for (bool ta : {false, true})
        for (bool tb : {false, true})
            for (double beta : {0.0, 1.0, 0.5}) {
                // leading dimensions wider than the rows, as for a column block of a larger matrix
                const std::size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                std::vector<T> a((ta ? k : m) * lda), b((tb ? n : k) * ldb), c(m * ldc);
                for (auto* v : {&a, &b, &c})
                    for (auto& x : *v) x = T(u(gen));
                const auto expect = naive(ta, tb, m, n, k, 0.75, a, lda, b, ldb, beta, c, ldc);
                if (beta == 0.0)
                    for (auto& x : c) x = T(NAN);  // beta = 0 must ignore what C held
                gemm(cpu{}, ta, tb, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, T(beta), c.data(), ldc);
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < n; ++j) {
                        INFO("m=", m, " n=", n, " k=", k, " ta=", ta, " tb=", tb, " beta=", beta, " at ", i, ",", j);
                        REQUIRE(double(c[i * ldc + j]) == doctest::Approx(double(expect[i * ldc + j])).epsilon(tolerance));
                    }
            }
}
}  // namespace

TEST_CASE("gemm: every transposition, leading dimension and beta against the definition") {
    check_gemm<double>(3, 5, 4, 1e-12);
    check_gemm<double>(1, 1, 1, 1e-12);
    check_gemm<float>(7, 2, 9, 1e-5);
}

TEST_CASE("gemm: products large enough to be split over threads, along rows and along columns") {
    check_gemm<float>(300, 70, 129, 1e-4);   // rows split
    check_gemm<float>(40, 310, 100, 1e-4);   // columns split
    check_gemm<double>(257, 255, 33, 1e-11);
}

TEST_CASE("gemm: empty extents") {
    std::vector<float> c(6, 5.0f);
    gemm(cpu{}, false, false, 2, 3, 0, 1.0f, static_cast<const float*>(nullptr), 0, static_cast<const float*>(nullptr), 3, 0.0f, c.data(), 3);
    CHECK(c == std::vector<float>(6, 0.0f));
    gemm(cpu{}, false, false, 0, 3, 4, 1.0f, static_cast<const float*>(nullptr), 4, static_cast<const float*>(nullptr), 3, 0.0f, c.data(), 3);
}

TEST_CASE("reductions: column and row sums") {
    const std::vector<double> x = {1, 2, 3, 4, 5, 6};
    std::vector<double> cols(3), rows(2);
    column_sums(cpu{}, x.data(), 2, 3, cols.data());
    row_sums(cpu{}, x.data(), 2, 3, rows.data());
    CHECK(cols == std::vector<double>{5, 7, 9});
    CHECK(rows == std::vector<double>{6, 15});
}
