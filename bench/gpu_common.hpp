// bench/gpu_common.hpp: what the GPU benchmarks share: a main that skips
// without a GPU, and timing of work queued on a CUDA stream.
#pragma once

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cstdio>

namespace gpu_bench {

/// Seconds between two events recorded around work queued on `s`.
class stream_timer {
public:
    explicit stream_timer(cudaStream_t s) : s_(s) {
        cudaEventCreate(&start_);
        cudaEventCreate(&stop_);
    }
    ~stream_timer() {
        cudaEventDestroy(start_);
        cudaEventDestroy(stop_);
    }
    void start() { cudaEventRecord(start_, s_); }
    double stop() {
        cudaEventRecord(stop_, s_);
        cudaEventSynchronize(stop_);
        float ms = 0;
        cudaEventElapsedTime(&ms, start_, stop_);
        return ms * 1e-3;
    }

private:
    cudaStream_t s_;
    cudaEvent_t start_{}, stop_{};
};

/// main() of a GPU benchmark: without a usable GPU it says so and exits with 77 (skipped).
inline int run(int argc, char** argv) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess || count == 0) {
        std::printf("skipped: no usable GPU (%s)\n", status != cudaSuccess ? cudaGetErrorString(status) : "no device");
        return 77;
    }
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, 0);
    benchmark::AddCustomContext("gpu", prop.name);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

}  // namespace gpu_bench
