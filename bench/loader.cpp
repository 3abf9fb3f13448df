// Loader throughput in batches/s on a Fashion-MNIST-sized in-memory byte set (60 000 images of
// 28×28 u8, converted to float per batch), with the background thread (argument 1) and without
// it (0), for batches of 64 and 256. The real Fashion-MNIST training set is used when Debian's
// dataset-fashion-mnist is installed, synthetic bytes of the same size otherwise.
//
// The background rows measure how fast batches can be handed over when the consumer does no
// work: decoding then overlaps only with the copy into tensors. In training the consumer's step
// is the long part, and the background thread hides the decoding behind it entirely.
//
//   OMP_NUM_THREADS=1 build/release/bench/bench_loader
#include <benchmark/benchmark.h>

#include <latent/data/idx.hpp>
#include <latent/data/loader.hpp>

#include <filesystem>

namespace {
using namespace latent;
using namespace latent::data;

const in_memory& fashion_sized() {
    static const in_memory set = [] {
        const example_layout layout{{1, 28, 28}, 1, 10, {}};
        const auto dir = fashion_mnist_default_dir;
        if (std::filesystem::exists(dir / "train-images-idx3-ubyte.gz")) {
            idx_array images = read_idx(dir / "train-images-idx3-ubyte.gz");
            const idx_array labels = read_idx(dir / "train-labels-idx1-ubyte.gz");
            std::vector<std::int32_t> ys(labels.values.begin(), labels.values.end());
            return in_memory::from_bytes(layout, std::move(images.values), std::move(ys));
        }
        constexpr std::int64_t n = 60000, f = 28 * 28;
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n * f));
        generator gen(1);
        const philox_range r = gen.take(bytes.size() / 4);
        for (std::size_t k = 0; k < bytes.size() / 4; ++k) {
            const std::uint32_t w = r.block(k).w[0];
            for (int b = 0; b < 4; ++b) bytes[4 * k + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(w >> (8 * b));
        }
        std::vector<std::int32_t> ys(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) ys[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(i % 10);
        return in_memory::from_bytes(layout, std::move(bytes), std::move(ys));
    }();
    return set;
}

void batches(benchmark::State& state) {
    const in_memory& d = fashion_sized();
    const bool background = state.range(1) != 0;
    loader<float> l(d, loader_options{}.batch_size(state.range(0)).background(background).seed(1));
    batch<float> b;
    std::int64_t delivered = 0, examples = 0;
    for (auto _ : state) {
        if (!l.next(b)) l.next(b);  // an epoch's end costs one extra call
        benchmark::DoNotOptimize(b.x.data());
        ++delivered;
        examples += b.size();
    }
    state.counters["batches/s"] = benchmark::Counter(double(delivered), benchmark::Counter::kIsRate);
    state.counters["examples/s"] = benchmark::Counter(double(examples), benchmark::Counter::kIsRate);
}

BENCHMARK(batches)->ArgNames({"batch", "background"})->Args({64, 0})->Args({64, 1})->Args({256, 0})->Args({256, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
