// Whole training steps on the GPU (forward, backward, Adam), in samples per
// second: the shapes of bench/steps.cpp on latent::device, compared with
// PyTorch on CUDA by `bench/peer/compare.py --device cuda`.
//  - mlp_step: 64→64→64→64 ReLU MLP, MSE, batch 64, every kernel launched eagerly;
//  - mlp_step_graph: the same step with forward and backward captured once by
//    latent::cuda::graph_step and replayed (Adam, one fused launch, after it);
//  - conv_vae_step/128 and /1024: the 28×28 conv VAE, Bernoulli likelihood on
//    logits, analytic KL, written with plain ops as in bench/steps.cpp;
//  - conv_vae_step_fused: the same with gaussian_sample_kl (sample and KL in one launch).
// Each iteration ends with synchronize(device), so a step's time is its whole time on the GPU.
// Targets (issue 3): MLP step ≥ 3× PyTorch eager, conv VAE step ≥ 1.2× PyTorch eager.
//
//   build/cuda/bench/bench_gpu_steps
#include <latent/autograd/ops/fused.hpp>
#include <latent/backend/device.hpp>
#include <latent/engine.hpp>

#include "gpu_common.hpp"

namespace {
using namespace latent;
using D = device;

void mlp_step(benchmark::State& state) {
    generator gen(1);
    auto net = nn::mlp<float, D>({64, 64, 64, 64}, gen);
    adam<float, D> opt(net->parameters("default"), adam_options{}.lr(1e-3));
    tensor<float, D> x({64, 64}), y({64, 64});
    normal_(x, gen);
    normal_(y, gen);
    for (auto _ : state) {
        opt.zero_grad();
        backward(mse(net->forward(var<float, D>(x)), var<float, D>(y)));
        opt.step();
        synchronize(D{});
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(mlp_step)->Unit(benchmark::kMicrosecond)->UseRealTime();

void mlp_step_graph(benchmark::State& state) {
    generator gen(1);
    auto net = nn::mlp<float, D>({64, 64, 64, 64}, gen);
    adam<float, D> opt(net->parameters("default"), adam_options{}.lr(1e-3));
    tensor<float, D> x({64, 64}), y({64, 64});
    normal_(x, gen);
    normal_(y, gen);
    latent::cuda::graph_step graph;
    auto forward_backward = [&] {
        opt.zero_grad();
        backward(mse(net->forward(var<float, D>(x)), var<float, D>(y)));
    };
    for (auto _ : state) {
        graph.run(forward_backward);
        opt.step();
        synchronize(D{});
    }
    state.SetItemsProcessed(state.iterations() * 64);
    state.counters["replays"] = double(graph.replays());
}
BENCHMARK(mlp_step_graph)->Unit(benchmark::kMicrosecond)->UseRealTime();

/// The conv VAE of bench/steps.cpp on the device.
struct conv_vae {
    static constexpr std::int64_t latent_dim = 16;
    nn::sequential<float, D> encoder, decoder;
    explicit conv_vae(generator& gen) {
        encoder.add<nn::conv2d<float, D>>(1, 32, 4, conv2d_options{.stride = 2, .padding = 1}, gen);
        encoder.add<nn::relu<float, D>>();
        encoder.add<nn::conv2d<float, D>>(32, 64, 4, conv2d_options{.stride = 2, .padding = 1}, gen);
        encoder.add<nn::relu<float, D>>();
        encoder.add<nn::flatten<float, D>>();
        encoder.add<nn::linear<float, D>>(3136, 256, gen);
        encoder.add<nn::relu<float, D>>();
        encoder.add<nn::linear<float, D>>(256, 2 * latent_dim, gen);
        decoder.add<nn::linear<float, D>>(latent_dim, 256, gen);
        decoder.add<nn::relu<float, D>>();
        decoder.add<nn::linear<float, D>>(256, 3136, gen);
        decoder.add<nn::relu<float, D>>();
        decoder.add<nn::unflatten<float, D>>(64, 7, 7);
        decoder.add<nn::conv_transpose2d<float, D>>(64, 32, 4, conv_transpose2d_options{.stride = 2, .padding = 1}, gen);
        decoder.add<nn::relu<float, D>>();
        decoder.add<nn::conv_transpose2d<float, D>>(32, 1, 4, conv_transpose2d_options{.stride = 2, .padding = 1}, gen);
    }
    var<float, D> loss(const tensor<float, D>& x, tensor<float, D>& noise, generator& gen, bool fused) {
        const auto h = encoder.forward(var<float, D>(x));
        const auto mu = slice_features(h, 0, latent_dim), logvar = slice_features(h, latent_dim, 2 * latent_dim);
        var<float, D> z, kl;
        if (fused) {
            auto s = gaussian_sample_kl(mu, logvar, gen, reparam_options{}.scale(scale_param::log_var));
            z = s.z;
            kl = sum(s.kl);
        } else {
            normal_(noise, gen);
            z = mu + exp(0.5 * logvar) * var<float, D>(noise);
            kl = -0.5 * sum(1.0 + logvar - square(mu) - exp(logvar));
        }
        const auto rec = sum(binary_cross_entropy_with_logits(decoder.forward(z), var<float, D>(x)));
        return (rec + kl) / double(x.dim(0));
    }
};

void run_conv_vae(benchmark::State& state, bool fused) {
    const std::int64_t batch = state.range(0);
    generator gen(2);
    conv_vae vae(gen);
    std::vector<parameter<float, D>*> params = vae.encoder.parameters("default");
    for (auto* p : vae.decoder.parameters("default")) params.push_back(p);
    adam<float, D> opt(params, adam_options{}.lr(1e-3));
    tensor<float, D> x({batch, 1, 28, 28}), noise({batch, conv_vae::latent_dim});
    uniform_(x, gen);
    for (auto _ : state) {
        opt.zero_grad();
        backward(vae.loss(x, noise, gen, fused));
        opt.step();
        synchronize(D{});
    }
    state.SetItemsProcessed(state.iterations() * batch);
}
void conv_vae_step(benchmark::State& state) { run_conv_vae(state, false); }
void conv_vae_step_fused(benchmark::State& state) { run_conv_vae(state, true); }
BENCHMARK(conv_vae_step)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(conv_vae_step_fused)->Arg(128)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) { return gpu_bench::run(argc, argv); }
