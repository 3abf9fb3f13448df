// GEMM throughput: latent's gemm(cpu, ...) against Eigen's own product in a
// plain loop, beside the machine's measured peak (an FMA-bound loop).
//
//   OMP_NUM_THREADS=1 build/release/bench/bench_gemm
#include <benchmark/benchmark.h>

#include <latent/tensor/tensor.hpp>

#include <Eigen/Core>

namespace {

/// Peak single-thread FP32 throughput: independent FMA chains on the widest vectors the target has.
void peak_fma(benchmark::State& state) {
    using v16 = float __attribute__((vector_size(64)));
    constexpr int chains = 12;
    v16 acc[chains];
    for (int c = 0; c < chains; ++c)
        for (int l = 0; l < 16; ++l) acc[c][l] = float(c + l) * 1e-3f;
    v16 a, b;
    for (int l = 0; l < 16; ++l) {
        a[l] = 0.999f;
        b[l] = 1e-4f;
    }
    constexpr std::int64_t iterations = 1 << 16;
    for (auto _ : state) {
        for (std::int64_t i = 0; i < iterations; ++i)
            for (int c = 0; c < chains; ++c) acc[c] = acc[c] * a + b;
        benchmark::DoNotOptimize(acc);
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * 16 * chains * iterations, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(peak_fma);

void gemm_latent(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    auto a = latent::tensor<float>::full({std::int64_t(n), std::int64_t(n)}, 0.5f);
    auto b = latent::tensor<float>::full({std::int64_t(n), std::int64_t(n)}, 0.25f);
    latent::tensor<float> c({std::int64_t(n), std::int64_t(n)});
    for (auto _ : state) {
        latent::gemm(latent::cpu{}, false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * double(n * n * n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(gemm_latent)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Arg(1024);

void gemm_eigen(benchmark::State& state) {
    const auto n = static_cast<Eigen::Index>(state.range(0));
    using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    M a = M::Constant(n, n, 0.5f), b = M::Constant(n, n, 0.25f), c(n, n);
    for (auto _ : state) {
        c.noalias() = a * b;
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * double(n * n * n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(gemm_eigen)->Arg(64)->Arg(128)->Arg(256)->Arg(512)->Arg(1024);

}  // namespace

BENCHMARK_MAIN();
