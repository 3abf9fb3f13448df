// GEMM and convolution throughput on the GPU: latent's gemm(device, …) and
// conv2d on the device backend, each beside cuBLAS's own figure for the same
// product (its SGEMM called directly, column-major, on its own stream). Both
// use cuBLAS's default math mode (full FP32, no TF32). Times come from CUDA
// events around the queued work, so host overhead per call is not counted for
// either side. Target (issue 3): latent within 10% of cuBLAS.
//
//   build/cuda/bench/bench_gpu_gemm
#include <latent/backend/device.hpp>
#include <latent/engine.hpp>

#include <cublas_v2.h>

#include "gpu_common.hpp"

namespace {
using namespace latent;

void gemm_latent(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto sn = static_cast<std::int64_t>(n);
    auto a = tensor<float, device>::full({sn, sn}, 0.5f), b = tensor<float, device>::full({sn, sn}, 0.25f);
    tensor<float, device> c({sn, sn});
    gpu_bench::stream_timer timer(latent::cuda::stream());
    for (auto _ : state) {
        timer.start();
        gemm(device{}, false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
        state.SetIterationTime(timer.stop());
    }
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * double(n * n * n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(gemm_latent)->Arg(256)->Arg(1024)->Arg(2048)->Arg(4096)->UseManualTime();

void gemm_cublas(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    const auto sn = static_cast<std::int64_t>(n);
    auto a = tensor<float, device>::full({sn, sn}, 0.5f), b = tensor<float, device>::full({sn, sn}, 0.25f);
    tensor<float, device> c({sn, sn});
    synchronize(device{});
    cudaStream_t s;
    cudaStreamCreate(&s);
    cublasHandle_t h;
    cublasCreate(&h);
    cublasSetStream(h, s);
    const float one = 1, zero = 0;
    gpu_bench::stream_timer timer(s);
    for (auto _ : state) {
        timer.start();
        cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, b.data(), n, a.data(), n, &zero, c.data(), n);
        state.SetIterationTime(timer.stop());
    }
    cublasDestroy(h);
    cudaStreamDestroy(s);
    state.counters["FLOP/s"] = benchmark::Counter(2.0 * double(sn * sn * sn), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(gemm_cublas)->Arg(256)->Arg(1024)->Arg(2048)->Arg(4096)->UseManualTime();

/// The conv VAE's second encoder layer at batch `range(0)`: 32→64 channels, 4×4, stride 2, 14×14 → 7×7.
constexpr std::int64_t cin = 32, cout = 64, kk = 4, hin = 14, hout = 7;
double conv_flops(std::int64_t batch) { return 2.0 * double(batch * cout * hout * hout * cin * kk * kk); }

void conv2d_latent(benchmark::State& state) {
    const std::int64_t batch = state.range(0);
    generator gen(3);
    tensor<float, device> x({batch, cin, hin, hin}), w({cout, cin, kk, kk}), bias({cout});
    normal_(x, gen);
    normal_(w, gen);
    normal_(bias, gen);
    const var<float, device> vx(x), vw(w), vb(bias);
    gpu_bench::stream_timer timer(latent::cuda::stream());
    no_grad guard;
    for (auto _ : state) {
        timer.start();
        const auto y = conv2d(vx, vw, vb, conv2d_options{.stride = 2, .padding = 1});
        state.SetIterationTime(timer.stop());
    }
    state.counters["FLOP/s"] = benchmark::Counter(conv_flops(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(conv2d_latent)->Arg(128)->Arg(1024)->UseManualTime();

/// cuBLAS's figure for the convolution's own GEMM (weights [cout, cin·k²] times columns
/// [cin·k², batch·hout²]), the product an im2col convolution cannot beat.
void conv2d_gemm_cublas(benchmark::State& state) {
    const std::int64_t batch = state.range(0);
    const int m = int(cout), k = int(cin * kk * kk), n = int(batch * hout * hout);
    auto a = tensor<float, device>::full({m, k}, 0.5f), b = tensor<float, device>::full({k, n}, 0.25f);
    tensor<float, device> c({m, n});
    synchronize(device{});
    cudaStream_t s;
    cudaStreamCreate(&s);
    cublasHandle_t h;
    cublasCreate(&h);
    cublasSetStream(h, s);
    const float one = 1, zero = 0;
    gpu_bench::stream_timer timer(s);
    for (auto _ : state) {
        timer.start();
        cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one, b.data(), n, a.data(), k, &zero, c.data(), n);
        state.SetIterationTime(timer.stop());
    }
    cublasDestroy(h);
    cudaStreamDestroy(s);
    state.counters["FLOP/s"] = benchmark::Counter(conv_flops(batch), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(conv2d_gemm_cublas)->Arg(128)->Arg(1024)->UseManualTime();

}  // namespace

int main(int argc, char** argv) { return gpu_bench::run(argc, argv); }
