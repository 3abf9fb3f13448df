// Resumable training: a run interrupted by save + load continues exactly as
// an unbroken run, optimizer state and generator offset included.
#include <doctest/doctest.h>

#include <latent/engine.hpp>

#include <filesystem>

using namespace latent;

namespace {
struct run {
    generator init{7};
    std::unique_ptr<nn::sequential<double>> net = nn::mlp<double>({3, 8, 2}, init);
    adam<double> opt{net->parameters("default"), adam_options{}.lr(1e-2)};
    generator data{11};

    void steps(int n) {
        for (int i = 0; i < n; ++i) {
            tensor<double> x({5, 3}), y({5, 2});
            normal_(x, data);
            normal_(y, data);
            opt.zero_grad();
            backward(mse(net->forward(var<double>(x)), var<double>(y)));
            opt.step();
        }
    }
};
}  // namespace

TEST_CASE("checkpoint: save, load into a fresh model and continue equals an unbroken run") {
    const auto path = std::filesystem::temp_directory_path() / "latent_resume_test.safetensors";
    run unbroken;
    unbroken.steps(6);

    run first;
    first.steps(3);
    save_checkpoint(path, first.net->parameters(), {{"data_offset", std::to_string(first.data.offset())}});

    run second;  // fresh weights, fresh optimizer
    const auto meta = load_checkpoint(path, second.net->parameters());
    second.data.set_offset(std::stoull(meta.at("data_offset")));
    second.steps(3);

    const auto a = unbroken.net->parameters(), b = second.net->parameters();
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        INFO(a[i]->name());
        CHECK(a[i]->value().to_vector() == b[i]->value().to_vector());
        CHECK(a[i]->optimizer_steps() == b[i]->optimizer_steps());
    }
    std::filesystem::remove(path);
}
