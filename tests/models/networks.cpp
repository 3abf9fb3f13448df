// The ready-made network factories: every role a composed model asks for is answered with a
// network of the right input and output, for points (mlp_networks) and images (conv_networks).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "latent/models/csvae.hpp"
#include "latent/models/networks.hpp"
#include "latent/models/vae.hpp"
#include "latent/objectives/gan.hpp"
#include "latent/tensor/random.hpp"

using namespace latent;

namespace {

using swap_space = partition<block<"z", 3, standard_normal, gaussian_posterior<from_x>>,
                             block<"s", 2, no_prior, deterministic<from_x>>>;

std::vector<std::string> names(const std::vector<parameter<float, cpu>*>& ps) {
    std::vector<std::string> out;
    for (auto* p : ps) out.push_back(p->name());
    return out;
}
bool has_prefix(const std::vector<std::string>& all, const std::string& prefix) {
    for (const auto& n : all)
        if (n.rfind(prefix, 0) == 0) return true;
    return false;
}

template <class Model>
void check_roles(const data::example_layout& images, const networks<float, cpu>& nets, const model_options& options) {
    auto m = Model::build(cpu{}, images, nets, options, 3);
    auto x = tensor<float, cpu>::zeros({4, 1, 8, 8});
    generator g(9);
    uniform_(x, g);
    const auto y = tensor<std::int32_t, cpu>::from_host({4, 1}, {0, 1, 2, 1});
    const auto l = m.losses(x, y);
    CHECK(l.has_main);
    const auto code = m.encode_mean(x, y);
    CHECK(code.shape() == shape{4, m.layout().total});
    CHECK(m.decode(code, y).shape() == x.shape());
    CHECK(has_prefix(names(m.parameters()), "decoder."));
}

}  // namespace

TEST_CASE("networks: conv_networks answers trunk, heads, decoder, adversary and discriminator for images") {
    const data::example_layout images{{1, 8, 8}, 1, 3, {"class"}};
    nn::conv_stack stack;
    stack.side = 8;
    stack.filters = {4, 8};
    stack.hidden = 16;
    stack.batch_norm = true;
    const auto nets = conv_networks<float, cpu>(stack, {8});
    check_roles<vae<>>(images, nets, model_options{}.size("z", 3));
    check_roles<csvae<>>(images, nets, model_options{}.size("z", 3).size("w", 2));
    check_roles<model<swap_space, bernoulli_likelihood, gan_discriminator<"s">>>(images, nets, {});

    auto swap = model<swap_space, bernoulli_likelihood, gan_discriminator<"s">>::build(cpu{}, images, nets, {}, 3);
    CHECK(has_prefix(names(swap.parameters("model")), "trunk."));  // the conv trunk has weights; an MLP's only flattens
    CHECK(has_prefix(names(swap.parameters("discriminator")), "discriminator."));
    // One logit, for the image under its label: the stack's two convolutions and its hidden
    // layer (the three weight layers before the logit) each get a lookup table.
    auto& d = swap.term<gan_discriminator<"s">>();
    CHECK(d.tables() == 3);
    auto x = tensor<float, cpu>::zeros({2, 1, 8, 8});
    label_batch<float, cpu> y;
    y.classes = tensor<std::int32_t, cpu>::from_host({2}, {0, 2});
    const auto logits = d.logit(var<float, cpu>(x), y);
    CHECK(logits.shape() == shape{2, 1});
    CHECK(logits.value().to_vector()[0] != logits.value().to_vector()[1]);  // the same image, two labels
    const auto wrong_side = conv_networks<float, cpu>(stack);
    CHECK_THROWS_AS(wrong_side.trunk_width({1, 28, 28}), config_error);
}

TEST_CASE("networks: mlp_networks flattens images for the discriminator") {
    const data::example_layout images{{1, 8, 8}, 1, 3, {"class"}};
    check_roles<model<swap_space, bernoulli_likelihood, gan_discriminator<"s">>>(images, mlp_networks<float, cpu>({8}),
                                                                                   {});
}
