// The composed models on the device backend: the same seed builds the same networks, every loss
// term of a batch and the parameters after a trainer step agree with the cpu backend, and the
// work runs as device launches.
#include "compare.hpp"

#include <latent/data/swiss_roll.hpp>
#include <latent/models/ccvae.hpp>
#include <latent/models/cond_vae.hpp>
#include <latent/models/csvae.hpp>
#include <latent/models/diva.hpp>
#include <latent/models/m2.hpp>
#include <latent/models/mvae.hpp>
#include <latent/models/networks.hpp>
#include <latent/models/vae.hpp>
#include <latent/models/swap.hpp>
#include <latent/models/tcvae.hpp>
#include <latent/models/triplet_vae.hpp>
#include <latent/train/trainer.hpp>

using namespace device_test;

namespace {

template <class Model>
void check_model(const data::example_layout& layout, const model_options& options, const tensor<float>& x,
                 const tensor<std::int32_t>& y) {
    auto on_cpu = Model::build(cpu{}, layout, mlp_networks<float, cpu>({16}), options, 4);
    auto on_device = Model::build(device{}, layout, mlp_networks<float, device>({16}), options, 4);
    const auto cpu_params = on_cpu.parameters();
    const auto dev_params = on_device.parameters();
    REQUIRE(cpu_params.size() == dev_params.size());
    for (std::size_t k = 0; k < cpu_params.size(); ++k)
        check_close(cpu_params[k]->value(), dev_params[k]->value(), "initial " + cpu_params[k]->name());

    const auto xd = x.to<device>();
    const auto yd = y.to<device>();
    const auto before = launches();
    const auto want = on_cpu.losses(x, y);
    const auto got = on_device.losses(xd, yd);
    CHECK(launches() > before);
    REQUIRE(want.terms.size() == got.terms.size());
    for (std::size_t k = 0; k < want.terms.size(); ++k) {
        INFO(want.terms[k].first);
        CHECK(got.terms[k].first == want.terms[k].first);
        CHECK(got.terms[k].second == doctest::Approx(want.terms[k].second).epsilon(1e-4));
    }

    trainer cpu_trainer(on_cpu, trainer_options{}.lr(1e-2).show_progress(false));
    trainer dev_trainer(on_device, trainer_options{}.lr(1e-2).show_progress(false));
    cpu_trainer.step(x, y);
    dev_trainer.step(xd, yd);
    for (std::size_t k = 0; k < cpu_params.size(); ++k)
        check_close(cpu_params[k]->value(), dev_params[k]->value(), "stepped " + cpu_params[k]->name());
}

}  // namespace

TEST_CASE("device models: CSVAE on the swiss roll matches the cpu backend, loss by loss and step by step") {
    const auto roll = data::make_swiss_roll(32, 5);
    std::vector<float> xs(32 * 3);
    std::vector<std::int32_t> ys(32);
    for (std::int64_t i = 0; i < 32; ++i) roll.data.read(i, xs.data() + i * 3, ys.data() + i);
    check_model<csvae<squared_error_likelihood>>(
        roll.data.layout(),
        csvae_paper_weights(model_options{}.size("z", 2).size("w", 2).reconstruction(reduction::mean)),
        tensor<float>::from_host({32, 3}, xs), tensor<std::int32_t>::from_host({32, 1}, ys));
}

TEST_CASE("device models: VAE and CondVAE-info on categorical images match the cpu backend") {
    const data::example_layout images{{1, 6, 6}, 1, 4, {"class"}};
    const auto x = random_tensor<float>({8, 1, 6, 6}, 11, 0.0, 1.0);
    const auto labels = random_labels(8, 4, 12);
    const auto y = labels.reshape({8, 1});
    check_model<vae<>>(images, model_options{}.size("z", 3), x, y);
    check_model<cond_vae_info<>>(images, model_options{}.size("z", 3).weight("ce.z", 0.5), x, y);
}

TEST_CASE("device models: β-TCVAE with either estimator of log q(z) matches the cpu backend") {
    const data::example_layout images{{1, 6, 6}, 1, 4, {"class"}};
    const auto x = random_tensor<float>({8, 1, 6, 6}, 15, 0.0, 1.0);
    const auto y = random_labels(8, 4, 16).reshape({8, 1});
    const auto options = model_options{}.size("z", 3).weight("tc.tc", 5).set("tc.dataset_size", 100);
    check_model<beta_tcvae<>>(images, options, x, y);
    check_model<beta_tcvae<bernoulli_likelihood, minibatch_stratified>>(images, options, x, y);
}

TEST_CASE("device models: the triplet VAE with fixed and with learned masks matches the cpu backend, triplets included") {
    // Two queries, each a factor's value index per example (3 and 4 values).
    const data::example_layout images{{1, 6, 6}, 2, 4, {"a", "b"}};
    const auto x = random_tensor<float>({8, 1, 6, 6}, 17, 0.0, 1.0);
    const auto a = random_labels(8, 3, 18).to_vector(), b = random_labels(8, 4, 19).to_vector();
    std::vector<std::int32_t> ys;
    for (std::size_t i = 0; i < 8; ++i) ys.insert(ys.end(), {a[i], b[i]});
    const auto y = tensor<std::int32_t>::from_host({8, 2}, ys);
    check_model<triplet_vae<>>(images, model_options{}.size("z", 4).set("triplet.mask_dims", 2).weight("triplet", 2),
                               x, y);
    check_model<triplet_vae<bernoulli_likelihood, learned_masks>>(images, model_options{}.size("z", 4), x, y);
}

TEST_CASE("device models: the swap model (same-label reconstruction, conditional discriminator) matches the cpu backend, partners included") {
    const data::example_layout images{{1, 6, 6}, 1, 3, {"class"}};
    const auto x = random_tensor<float>({8, 1, 6, 6}, 13, 0.0, 1.0);
    const auto y = random_labels(8, 3, 14).reshape({8, 1});
    check_model<swap_model<>>(
        images, model_options{}.size("z", 2).size("s", 2).weight("gan.s", 0.1).set("gan.s.real_target", 0.95), x, y);
}

TEST_CASE("device models: CCVAE's bounds match the cpu backend, with labels hidden from half the batch") {
    const data::example_layout images{{1, 6, 6}, 1, 4, {"class"}};
    const auto x = random_tensor<float>({8, 1, 6, 6}, 15, 0.0, 1.0);
    const auto y = random_labels(8, 4, 16).reshape({8, 1});
    const auto options = model_options{}.size("c", 2).size("z", 3).set("ccvae.samples", 5);
    check_model<ccvae_categorical<>>(images, options, x, y);

    auto on_cpu = ccvae_categorical<>::build(cpu{}, images, mlp_networks<float, cpu>({16}), options, 4);
    auto on_device = ccvae_categorical<>::build(device{}, images, mlp_networks<float, device>({16}), options, 4);
    const auto mask = tensor<float>::from_host({8}, {1, 0, 1, 0, 1, 0, 1, 0});
    const auto want = on_cpu.losses(x, y, mask);
    const auto got = on_device.losses(x.to<device>(), y.to<device>(), mask.to<device>());
    REQUIRE(want.terms.size() == got.terms.size());
    for (std::size_t k = 0; k < want.terms.size(); ++k) {
        INFO(want.terms[k].first);
        CHECK(got.terms[k].second == doctest::Approx(want.terms[k].second).epsilon(1e-4));
    }
}

TEST_CASE("device models: the CCVAE baselines (M2, MVAE, DIVA) match the cpu backend") {
    const data::example_layout images{{1, 6, 6}, 1, 3, {"class"}};
    const auto x = random_tensor<float>({6, 1, 6, 6}, 17, 0.0, 1.0);
    const auto y = random_labels(6, 3, 18).reshape({6, 1});
    check_model<m2<>>(images, model_options{}.size("z", 2), x, y);
    check_model<mvae<>>(images, model_options{}.size("z", 2), x, y);
    check_model<diva_categorical<>>(images, model_options{}.size("c", 2).size("z", 2), x, y);
}

TEST_CASE("device models: M2 and MVAE with binary labels match the cpu backend, with labels hidden") {
    const data::example_layout images{{1, 6, 6}, 3, 2, {"a", "b", "c"}};
    const auto x = random_tensor<float>({6, 1, 6, 6}, 19, 0.0, 1.0);
    const auto y = random_labels(6 * 3, 2, 20).reshape({6, 3});
    check_model<m2<>>(images, model_options{}.size("z", 2), x, y);
    check_model<mvae<>>(images, model_options{}.size("z", 2), x, y);

    // Hidden rows: M2 enumerates the 2^3 label vectors there, MVAE drops ELBO(x, y) and ELBO(y).
    const auto mask = tensor<float>::from_host({6}, {1, 0, 0, 1, 0, 1});
    auto compare = [&]<class Model>(std::type_identity<Model>) {
        auto on_cpu = Model::build(cpu{}, images, mlp_networks<float, cpu>({16}), model_options{}.size("z", 2), 4);
        auto on_device =
            Model::build(device{}, images, mlp_networks<float, device>({16}), model_options{}.size("z", 2), 4);
        const auto want = on_cpu.losses(x, y, mask);
        const auto got = on_device.losses(x.to<device>(), y.to<device>(), mask.to<device>());
        REQUIRE(want.terms.size() == got.terms.size());
        for (std::size_t k = 0; k < want.terms.size(); ++k) {
            INFO(want.terms[k].first);
            CHECK(got.terms[k].first == want.terms[k].first);
            CHECK(got.terms[k].second == doctest::Approx(want.terms[k].second).epsilon(1e-4));
        }
    };
    compare(std::type_identity<m2<>>{});
    compare(std::type_identity<mvae<>>{});
}
