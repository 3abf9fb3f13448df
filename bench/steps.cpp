// Whole training steps (forward, backward, Adam) in samples per second, the
// figures compared with PyTorch by bench/peer/compare.py. Shapes are fixed by
// the foundation issue so that they can be compared with anything else:
//  - mlp_step: 64→64→64→64 with ReLU between, MSE loss, batch 64;
//  - conv_vae_step: the 28×28×1 conv VAE, batch 128, latent 16, Bernoulli
//    likelihood on logits and analytic KL;
//  - csvae_step: CSVAE on the swiss roll (issue 5), batch 64, z and w of 2 dims,
//    MLP networks 64→64, the composed model and trainer step (M1 and M2, two Adams);
//  - ccvae_step: CCVAE on 28×28 images with ten classes as examples/ccvae_fashion.cpp builds it by
//    default (ccvae_categorical<>, conv_networks(conv_stack_28()), z_c and z_\c of 16 dims,
//    ccvae.samples K = 10, Adam lr 1e-3), batch 128, every row labelled: the supervised bound;
//  - ccvae_step_semi: the same with rows 64…127 unlabelled (mask 0), so the step also takes the
//    unsupervised bound with the ten classes enumerated.
// The ccvae steps report the model's trainable parameter count as the counter "params", and
// their samples/s from wall-clock time (UseRealTime), as steps.py measures PyTorch's; the
// other steps' items_per_second come from this thread's CPU time, which on a loaded machine
// runs slower than the wall clock and so flatters them against PyTorch's wall-clock figures.
//
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 build/release/bench/bench_steps
#include <benchmark/benchmark.h>

#include <latent/engine.hpp>
#include <latent/data/swiss_roll.hpp>
#include <latent/models/ccvae.hpp>
#include <latent/models/csvae.hpp>
#include <latent/models/networks.hpp>
#include <latent/train/trainer.hpp>

namespace {
using namespace latent;

void mlp_step(benchmark::State& state) {
    generator gen(1);
    auto net = nn::mlp<float>({64, 64, 64, 64}, gen);
    adam<float> opt(net->parameters("default"), adam_options{}.lr(1e-3));
    tensor<float> x({64, 64}), y({64, 64});
    normal_(x, gen);
    normal_(y, gen);
    for (auto _ : state) {
        opt.zero_grad();
        backward(mse(net->forward(var<float>(x)), var<float>(y)));
        opt.step();
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(mlp_step)->Unit(benchmark::kMicrosecond);

/// The conv VAE of the issue, built from layers exactly as a user would.
struct conv_vae {
    static constexpr std::int64_t latent_dim = 16;
    nn::sequential<float> encoder, decoder;
    explicit conv_vae(generator& gen) {
        encoder.add<nn::conv2d<float>>(1, 32, 4, conv2d_options{.stride = 2, .padding = 1}, gen);
        encoder.add<nn::relu<float>>();
        encoder.add<nn::conv2d<float>>(32, 64, 4, conv2d_options{.stride = 2, .padding = 1}, gen);
        encoder.add<nn::relu<float>>();
        encoder.add<nn::flatten<float>>();
        encoder.add<nn::linear<float>>(3136, 256, gen);
        encoder.add<nn::relu<float>>();
        encoder.add<nn::linear<float>>(256, 2 * latent_dim, gen);
        decoder.add<nn::linear<float>>(latent_dim, 256, gen);
        decoder.add<nn::relu<float>>();
        decoder.add<nn::linear<float>>(256, 3136, gen);
        decoder.add<nn::relu<float>>();
        decoder.add<nn::unflatten<float>>(64, 7, 7);
        decoder.add<nn::conv_transpose2d<float>>(64, 32, 4, conv_transpose2d_options{.stride = 2, .padding = 1}, gen);
        decoder.add<nn::relu<float>>();
        decoder.add<nn::conv_transpose2d<float>>(32, 1, 4, conv_transpose2d_options{.stride = 2, .padding = 1}, gen);
    }
    /// Negative ELBO per sample: Bernoulli log-likelihood on logits + KL(q(z|x) ‖ N(0, I)).
    var<float> loss(const tensor<float>& x, tensor<float>& noise, generator& gen) {
        const auto h = encoder.forward(var<float>(x));
        const auto mu = slice_features(h, 0, latent_dim), logvar = slice_features(h, latent_dim, 2 * latent_dim);
        normal_(noise, gen);
        const auto z = mu + exp(0.5 * logvar) * var<float>(noise);
        const auto rec = sum(binary_cross_entropy_with_logits(decoder.forward(z), var<float>(x)));
        const auto kl = -0.5 * sum(1.0 + logvar - square(mu) - exp(logvar));
        return (rec + kl) / double(x.dim(0));
    }
};

void conv_vae_step(benchmark::State& state) {
    const std::int64_t batch = state.range(0);
    generator gen(2);
    conv_vae vae(gen);
    std::vector<parameter<float>*> params = vae.encoder.parameters("default");
    for (auto* p : vae.decoder.parameters("default")) params.push_back(p);
    adam<float> opt(params, adam_options{}.lr(1e-3));
    tensor<float> x({batch, 1, 28, 28}), noise({batch, conv_vae::latent_dim});
    uniform_(x, gen);
    for (auto _ : state) {
        opt.zero_grad();
        backward(vae.loss(x, noise, gen));
        opt.step();
    }
    state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(conv_vae_step)->Arg(128)->Unit(benchmark::kMillisecond);

/// One CSVAE step as csvae_swiss_roll trains it: the composed model's forward, both backward
/// passes and both optimizers, on a fixed batch of 64 swiss-roll points.
void csvae_step(benchmark::State& state) {
    const auto roll = data::make_swiss_roll(64, 3);
    auto m = csvae<squared_error_likelihood>::build(
        cpu{}, roll.data.layout(), mlp_networks<float>({64, 64}),
        csvae_paper_weights(model_options{}.size("z", 2).size("w", 2).reconstruction(reduction::mean)), 1);
    trainer t(m, trainer_options{}.lr(1e-3).show_progress(false));
    data::index_list ids(64);
    for (std::int64_t i = 0; i < 64; ++i) ids[static_cast<std::size_t>(i)] = i;
    const auto batch = data::read_batch<float, cpu>(roll.data, ids);
    for (auto _ : state) t.step(batch.x, batch.y);
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(csvae_step)->Unit(benchmark::kMicrosecond);

/// One CCVAE step as ccvae_fashion trains it by default (batch 128, conv networks, z_c and z_\c of
/// 16 dims, K = 10 draws for log q(y|x), Adam lr 1e-3), through the trainer, on a fixed batch of
/// random images in [0, 1] with labels 0…9. With `semi`, the second half of the rows is hidden
/// (the supervision mask the trainer hands the model in a mixed batch).
void ccvae_bench(benchmark::State& state, bool semi) {
    constexpr std::int64_t batch = 128;
    const data::example_layout layout{{1, 28, 28}, 1, 10, {}};
    auto m = ccvae_categorical<>::build(
        cpu{}, layout, conv_networks<float, cpu>(nn::conv_stack_28()),
        model_options{}.size("c", 16).size("z", 16).set("ccvae.samples", 10.0), 4);
    trainer t(m, trainer_options{}.lr(1e-3).show_progress(false));
    generator gen(5);
    tensor<float> x({batch, 1, 28, 28});
    uniform_(x, gen);
    std::vector<std::int32_t> labels(batch);
    std::vector<float> visible(batch);
    for (std::int64_t i = 0; i < batch; ++i) {
        labels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>((7 * i + 3) % 10);
        visible[static_cast<std::size_t>(i)] = i < batch / 2 ? 1.0f : 0.0f;
    }
    const auto y = tensor<std::int32_t>::from_host({batch, 1}, labels);
    const auto mask = tensor<float>::from_host({batch}, visible);
    std::int64_t params = 0;
    for (auto* p : m.parameters("model")) params += p->numel();
    for (auto _ : state) {
        if (semi) t.step(x, y, mask);
        else t.step(x, y);
    }
    state.SetItemsProcessed(state.iterations() * batch);
    state.counters["params"] = static_cast<double>(params);
}
void ccvae_step(benchmark::State& state) { ccvae_bench(state, false); }
void ccvae_step_semi(benchmark::State& state) { ccvae_bench(state, true); }
BENCHMARK(ccvae_step)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(ccvae_step_semi)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
