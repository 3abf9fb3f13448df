// Whole training steps on the device backend: an MLP classifier under Adam and
// a small convolutional VAE (batch norm, reparameterised sampling, BCE and KL)
// under SGD with momentum, built by the nn builders on both backends from the
// same seed, give the cpu backend's losses and parameters step after step; and
// in steady state the device arena asks the backend for no new memory.
#include "compare.hpp"

using namespace latent;
using device_test::both;
using device_test::check_close;
using device_test::check_parameters;
using device_test::launches;
using device_test::random_labels;
using device_test::random_tensor;

namespace {

/// An MLP classifier and its data on backend B; step() is one Adam step, returning the loss.
template <class B>
struct mlp_run {
    generator init{11};
    std::unique_ptr<nn::sequential<float, B>> net = nn::mlp<float, B>({8, 16, 16, 4}, init, nn::activation::tanh);
    std::vector<parameter<float, B>*> params = net->parameters();
    adam<float, B> opt{params, adam_options{}.lr(0.01)};
    tensor<float, B> x = random_tensor({12, 8}, 1).to<B>();
    tensor<std::int32_t, B> y = random_labels(12, 4, 2).to<B>();

    float step() {
        opt.zero_grad();
        const var<float, B> loss = mean(cross_entropy_with_logits((*net)(var<float, B>(x)), y));
        backward(loss);
        opt.step();
        return loss.item();
    }
};

/// A small conv VAE (8×8 images, batch norm in both stacks) on backend B; step() is one SGD step.
template <class B>
struct vae_run {
    static constexpr std::int64_t latent_dim = 3, batch = 4;
    nn::conv_stack stack{1, 8, {4, 6}, 16, true};
    generator init{21}, noise{22, 1};
    std::unique_ptr<nn::sequential<float, B>> encoder = nn::conv_encoder<float, B>(stack, 2 * latent_dim, init);
    std::unique_ptr<nn::sequential<float, B>> decoder = nn::conv_decoder<float, B>(stack, latent_dim, init);
    std::vector<parameter<float, B>*> params = trainable();
    sgd<float, B> opt{params, sgd_options{}.lr(0.05).momentum(0.9)};
    tensor<float, B> x = random_tensor({batch, 1, 8, 8}, 3, 0, 1).to<B>();

    std::vector<parameter<float, B>*> trainable() {
        auto a = encoder->parameters("default"), b = decoder->parameters("default");
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }

    float step() {
        opt.zero_grad();
        const var<float, B> h = (*encoder)(var<float, B>(x));
        const var<float, B> mu = slice_features(h, 0, latent_dim);
        const var<float, B> logvar = slice_features(h, latent_dim, 2 * latent_dim);
        tensor<float, B> eps(mu.shape());
        normal_(eps, noise);
        const var<float, B> z = mu + exp(logvar * 0.5) * var<float, B>(eps);
        const var<float, B> logits = (*decoder)(z);
        const var<float, B> rec = sum(binary_cross_entropy_with_logits(logits, var<float, B>(x))) * (1.0 / batch);
        const var<float, B> kl = sum(exp(logvar) + square(mu) - 1.0 - logvar) * (0.5 / batch);
        const var<float, B> loss = rec + kl;
        backward(loss);
        opt.step();
        return loss.item();
    }
};

}  // namespace

TEST_CASE("device training: three Adam steps of an MLP equal the cpu backend's") {
    mlp_run<cpu> c;
    mlp_run<device> d;
    check_parameters<float>(*c.net, *d.net, "MLP at initialisation");
    for (int t = 0; t < 3; ++t) {
        CAPTURE(t);
        const float lc = c.step();
        const std::uint64_t l0 = launches();
        const float ld = d.step();
        CHECK(launches() - l0 > 20);
        CHECK(ld == doctest::Approx(lc).epsilon(1e-5));
    }
    check_parameters<float>(*c.net, *d.net, "MLP after 3 steps");
}

TEST_CASE("device training: three SGD steps of a conv VAE with batch norm equal the cpu backend's") {
    vae_run<cpu> c;
    vae_run<device> d;
    check_parameters<float>(*c.encoder, *d.encoder, "encoder at initialisation");
    for (int t = 0; t < 3; ++t) {
        CAPTURE(t);
        const float lc = c.step();
        const std::uint64_t l0 = launches();
        const float ld = d.step();
        CHECK(launches() - l0 > 50);
        CHECK(ld == doctest::Approx(lc).epsilon(1e-5));
    }
    check_parameters<float>(*c.encoder, *d.encoder, "encoder after 3 steps");  // running statistics included
    check_parameters<float>(*c.decoder, *d.decoder, "decoder after 3 steps");
    CHECK(c.noise == d.noise);
}

TEST_CASE("device training: in steady state a training step allocates no device memory") {
    auto& a = arena<device>::instance();
    mlp_run<device> m;
    vae_run<device> v;
    for (int t = 0; t < 3; ++t) {
        m.step();
        v.step();
    }
    const std::size_t before = a.stats().backend_allocations, bytes = a.stats().bytes_reserved;
    for (int t = 0; t < 5; ++t) {
        m.step();
        v.step();
    }
    CHECK(a.stats().backend_allocations == before);
    CHECK(a.stats().bytes_reserved == bytes);
}
