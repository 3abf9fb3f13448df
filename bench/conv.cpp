// Convolution throughput in GFLOP/s, forward and forward+backward, on the
// layers of the conv VAE benchmark (28×28×1 input, batch 128, 4×4 kernels,
// stride 2, padding 1). FLOPs are counted as 2·(multiply-adds of the
// definition): forward 2·N·O·Ho·Wo·C·k², backward twice that (dX and dW).
// Compare with bench_gemm's peak_fma and gemm_latent on the same machine.
//
//   OMP_NUM_THREADS=1 build/release/bench/bench_conv
#include <benchmark/benchmark.h>

#include <latent/engine.hpp>

namespace {
using namespace latent;

struct geometry {
    std::int64_t c, o, side;  // input channels, output channels, input side
};
// encoder conv 1: 1→32 on 28², encoder conv 2: 32→64 on 14², decoder transposed 64→32 on 7², 32→1 on 14².
constexpr geometry layers[] = {{1, 32, 28}, {32, 64, 14}, {64, 32, 7}, {32, 1, 14}};
constexpr std::int64_t batch = 128, k = 4;

void run(benchmark::State& state, bool transposed, bool with_backward) {
    const geometry g = layers[state.range(0)];
    generator gen(3);
    tensor<float> x({batch, g.c, g.side, g.side});
    tensor<float> w(transposed ? latent::shape{g.c, g.o, k, k} : latent::shape{g.o, g.c, k, k});
    tensor<float> b({g.o});
    normal_(x, gen);
    normal_(w, gen);
    normal_(b, gen);
    parameter<float> px("x", x), pw("w", w), pb("b", b);  // x too: backward computes dX and dW
    const std::int64_t out_side = transposed ? g.side * 2 : g.side / 2;
    // multiply-adds of the definition; for the transposed conv, per input position
    const double macs = transposed ? double(batch * g.c * g.side * g.side * g.o * k * k)
                                   : double(batch * g.o * out_side * out_side * g.c * k * k);
    for (auto _ : state) {
        const var<float> y = transposed
                                 ? conv_transpose2d(px.as_var(), pw.as_var(), pb.as_var(), {.stride = 2, .padding = 1})
                                 : conv2d(px.as_var(), pw.as_var(), pb.as_var(), {.stride = 2, .padding = 1});
        if (with_backward) backward(sum(y));
        else tape<float, cpu>::current().clear();
        benchmark::DoNotOptimize(y.value().data());
    }
    state.counters["FLOP/s"] = benchmark::Counter(2 * macs * (with_backward ? 3 : 1), benchmark::Counter::kIsIterationInvariantRate);
}

void conv2d_forward(benchmark::State& s) { run(s, false, false); }
void conv2d_forward_backward(benchmark::State& s) { run(s, false, true); }
void conv_transpose2d_forward(benchmark::State& s) { run(s, true, false); }
void conv_transpose2d_forward_backward(benchmark::State& s) { run(s, true, true); }

BENCHMARK(conv2d_forward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(conv2d_forward_backward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(conv_transpose2d_forward)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);
BENCHMARK(conv_transpose2d_forward_backward)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
