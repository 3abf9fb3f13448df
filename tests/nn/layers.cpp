#include <doctest/doctest.h>

#include <latent/nn/builders.hpp>
#include <latent/nn/diagonal.hpp>
#include <latent/nn/embedding.hpp>
#include <latent/nn/label_conditioned.hpp>
#include <latent/testing/gradcheck.hpp>

using namespace latent;
using testing::gradcheck;
using testing::uniform_tensor;
using V = var<double>;
using Vs = std::vector<V>;

namespace {
/// Gradient check of a whole layer: central differences on every element of
/// every trainable parameter (perturbed in place, as the layer reads it), then
/// the input through testing::gradcheck.
void check_layer(nn::module<double>& layer, const tensor<double>& x) {
    auto params = layer.parameters();
    std::vector<parameter<double>*> trainable;
    for (auto* p : params)
        if (p->trainable()) trainable.push_back(p);
    for (auto* p : params) p->zero_grad();
    auto loss = [&]() { return sum(square(layer.forward(V(x)))); };
    backward(loss());
    for (auto* p : trainable) {
        const auto analytic = p->grad().to_vector();
        auto host = p->value().to_vector();
        for (std::size_t j = 0; j < host.size(); ++j) {
            const double saved = host[j], eps = 1e-6;
            auto at = [&](double v) {
                host[j] = v;
                p->value() = tensor<double>::from_host(p->shape(), host);
                no_grad g;
                return loss().item();
            };
            const double numeric = (at(saved + eps) - at(saved - eps)) / (2 * eps);
            at(saved);
            INFO(layer.describe(), " parameter ", p->name(), " element ", j);
            CHECK(analytic[j] == doctest::Approx(numeric).epsilon(1e-5).scale(1.0));
        }
    }
    // and the input
    auto input_check = gradcheck<double, cpu>([&](const Vs& v) { return layer.forward(v[0]); }, {x});
    INFO(layer.describe(), ": ", input_check.report);
    CHECK(input_check.ok);
}
}  // namespace

TEST_CASE("layers: gradients through every layer, parameters included") {
    generator gen(1);
    nn::linear<double> lin(5, 3, gen);
    check_layer(lin, uniform_tensor({4, 5}, 1));
    nn::diagonal<double> diag(5);
    diag.scale().value() = uniform_tensor({5}, 9);
    check_layer(diag, uniform_tensor({4, 5}, 2));
    nn::conv2d<double> conv(2, 3, 3, {.stride = 2, .padding = 1}, gen);
    check_layer(conv, uniform_tensor({2, 2, 5, 5}, 3));
    nn::conv_transpose2d<double> convt(2, 3, 4, {.stride = 2, .padding = 1}, gen);
    check_layer(convt, uniform_tensor({2, 2, 3, 3}, 4));
    nn::batch_norm1d<double> bn1(3);
    check_layer(bn1, uniform_tensor({5, 3}, 5));
    nn::batch_norm2d<double> bn2(2);
    check_layer(bn2, uniform_tensor({3, 2, 2, 2}, 6));
    auto net = nn::mlp<double>({4, 6, 2}, gen, nn::activation::tanh);
    check_layer(*net, uniform_tensor({3, 4}, 7));
}

TEST_CASE("layers: parameter names follow PyTorch's state-dict names") {
    generator gen(1);
    auto enc = nn::conv_encoder<float>(nn::conv_stack_28(), 32, gen);
    std::vector<std::string> names;
    for (auto* p : enc->parameters()) names.push_back(p->name());
    CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias", "5.weight", "5.bias",
                                            "7.weight", "7.bias"});
    enc->prefix_names("encoder.");
    CHECK(enc->parameters().front()->name() == "encoder.0.weight");
    nn::batch_norm2d<float> bn(4);
    names.clear();
    for (auto* p : bn.parameters()) names.push_back(p->name());
    CHECK(names == std::vector<std::string>{"weight", "bias", "running_mean", "running_var"});
    CHECK(bn.parameters("default").size() == 2);  // buffers are not trained
}

TEST_CASE("builders: the papers' convolutional stacks have the right shapes and sizes") {
    generator gen(2);
    auto enc = nn::conv_encoder<float>(nn::conv_stack_28(), 2 * 16, gen);
    auto dec = nn::conv_decoder<float>(nn::conv_stack_28(), 16, gen);
    no_grad g;
    const auto x = var<float>(tensor<float>::zeros({3, 1, 28, 28}));
    CHECK(enc->forward(x).shape() == latent::shape{3, 32});
    CHECK(dec->forward(var<float>(tensor<float>::zeros({3, 16}))).shape() == latent::shape{3, 1, 28, 28});
    // encoder: 1·32·16+32, 32·64·16+64, 3136·256+256, 256·32+32
    CHECK(enc->parameter_count() == (512 + 32) + (32768 + 64) + (3136 * 256 + 256) + (256 * 32 + 32));
    auto enc64 = nn::conv_encoder<float>(nn::conv_stack_64(3), 20, gen);
    CHECK(enc64->forward(var<float>(tensor<float>::zeros({2, 3, 64, 64}))).shape() == latent::shape{2, 20});
    auto dec64 = nn::conv_decoder<float>(nn::conv_stack_64(3), 10, gen);
    CHECK(dec64->forward(var<float>(tensor<float>::zeros({2, 10}))).shape() == latent::shape{2, 3, 64, 64});
    CHECK_THROWS_AS(nn::conv_encoder<float>({1, 30, {32, 64}, 256}, 4, gen), config_error);
    CHECK_THROWS_AS(nn::mlp<float>({5}, gen), config_error);
}

TEST_CASE("layers: mlp describes itself and switches modes recursively") {
    generator gen(3);
    auto net = nn::mlp<float>({4, 8, 2}, gen);
    CHECK(net->describe() == "Sequential(Linear(4, 8), ReLU, Linear(8, 2))");
    net->eval();
    CHECK_FALSE((*net)[0].training());
    net->set_group("adversary");
    CHECK(net->parameters("adversary").size() == 4);
    CHECK(net->parameters("default").empty());
}

TEST_CASE("embedding: rows by label, gradients gathered per row") {
    generator gen(4);
    nn::embedding<double> emb(3, 2, gen);
    const auto labels = tensor<std::int32_t>::from_host({4}, {2, 0, 2, 1});
    const auto table = emb.weight().value().to_vector();
    const auto y = emb.lookup(labels).value().to_vector();
    CHECK(y[0] == table[4]);
    CHECK(y[1] == table[5]);
    CHECK(y[2] == table[0]);
    emb.zero_grad();
    backward(sum(emb.lookup(labels)));
    CHECK(emb.weight().grad().to_vector() == std::vector<double>{1, 1, 1, 1, 2, 2});
    auto r = gradcheck<double, cpu>([&](const Vs& v) { return index_rows(v[0], labels); }, {uniform_tensor({3, 2}, 5)});
    INFO(r.report);
    CHECK(r.ok);
    CHECK_THROWS_AS(emb.lookup(tensor<std::int32_t>::from_host({1}, {3})), shape_error);
    CHECK(emb.forward(V(tensor<double>::from_host({2}, {1, 2}))).shape() == latent::shape{2, 2});
}

namespace {
/// label_conditioned with the labels fixed, as a module, so that check_layer can perturb its
/// parameters (the wrapped network's and the tables') and its input.
struct conditioned_on : nn::module<double> {
    nn::label_conditioned<double, cpu>& net;
    tensor<std::int32_t> classes;
    conditioned_on(nn::label_conditioned<double, cpu>& n, tensor<std::int32_t> c) : net(n), classes(std::move(c)) {}
    V forward(const V& x) override { return net(x, classes); }
    void for_each_parameter(const std::function<void(parameter<double>&)>& f) override {
        net.for_each_module([&](nn::module<double>& m) { m.for_each_parameter(f); });
    }
    std::string describe() const override { return "label_conditioned"; }
};
}  // namespace

TEST_CASE("label_conditioned: gradients through the tables of a convolutional and of a linear network") {
    generator gen(3);
    const auto classes = tensor<std::int32_t>::from_host({3}, {0, 2, 1});
    // conv2d → tanh → flatten → linear(logit): the convolution's output gets the one table.
    auto conv = std::make_unique<nn::sequential<double>>();
    conv->add<nn::conv2d<double>>(1, 2, 3, conv2d_options{.stride = 2, .padding = 1}, gen);
    conv->push_back(nn::make_activation<double, cpu>(nn::activation::tanh));
    conv->add<nn::flatten<double, cpu>>();
    conv->add<nn::linear<double>>(8, 1, gen);
    nn::label_conditioned<double, cpu> on_images(std::move(conv), 3, 3, gen, "d", 0.5);
    CHECK(on_images.tables() == 1);
    conditioned_on images(on_images, classes);
    check_layer(images, uniform_tensor({3, 1, 4, 4}, 11));

    // An MLP nested in a sequential: its two hidden layers get tables, its logit none.
    auto mlp = std::make_unique<nn::sequential<double>>();
    mlp->push_back(nn::mlp<double>({4, 5, 3, 1}, gen, nn::activation::tanh));
    nn::label_conditioned<double, cpu> on_points(std::move(mlp), 3, 3, gen, "d", 0.5);
    CHECK(on_points.tables() == 2);
    conditioned_on points(on_points, classes);
    check_layer(points, uniform_tensor({3, 4}, 12));

    CHECK_THROWS_WITH_AS(on_points(V(uniform_tensor({2, 4}, 13)), classes), doctest::Contains("2 inputs but 3 labels"),
                         shape_error);
}
