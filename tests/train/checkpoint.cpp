#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latent/train/checkpoint.hpp>
#include <set>
#include <string>
#include <vector>

#include "../support.hpp"

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;
using bytes_t = std::vector<std::uint8_t>;
using P = parameter<float>;

namespace {

std::vector<float> values(const tensor<float>& t) { return t.to_vector(); }

/// Two parameters as an Adam-like optimizer leaves them: w with two moments, b with one buffer.
struct trained {
    P w{"encoder.0.weight", tensor<float>::from_host({2, 3}, {1, 2, 3, 4, 5, 6})};
    P b{"encoder.0.bias", tensor<float>::from_host({3}, {-1, 0, 1})};
    trained() {
        w.optimizer_state() = {tensor<float>::from_host({2, 3}, {.1f, .2f, .3f, .4f, .5f, .6f}),
                               tensor<float>::full({2, 3}, 0.25f)};
        w.optimizer_steps() = 5;
        b.optimizer_state() = {tensor<float>::from_host({3}, {7, 8, 9})};
        b.optimizer_steps() = 2;
    }
    std::vector<P*> params() { return {&w, &b}; }
};

/// The same parameters, fresh: zero values, no optimizer state.
struct fresh {
    P w{"encoder.0.weight", tensor<float>::zeros({2, 3})};
    P b{"encoder.0.bias", tensor<float>::zeros({3})};
    std::vector<P*> params() { return {&w, &b}; }
    /// True while load_checkpoint has changed nothing.
    bool untouched() const {
        return values(w.value()) == std::vector<float>(6, 0.f) && values(b.value()) == std::vector<float>(3, 0.f) &&
               w.optimizer_state().empty() && b.optimizer_state().empty() && w.optimizer_steps() == 0 &&
               b.optimizer_steps() == 0;
    }
};

const safetensors_metadata user_metadata{{"epoch", "3"}, {"rng_offset", "123456789"}};

}  // namespace

TEST_CASE("checkpoint: values, optimizer state, steps and metadata round trip") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt.safetensors";
    trained before;
    save_checkpoint(path, before.params(), user_metadata);
    CHECK(dir.listing() == std::set<std::string>{"ckpt.safetensors"});

    fresh after;
    CHECK(load_checkpoint(path, after.params()) == user_metadata);
    CHECK(values(after.w.value()) == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(values(after.b.value()) == std::vector<float>{-1, 0, 1});
    REQUIRE(after.w.optimizer_state().size() == 2);
    CHECK(after.w.optimizer_state()[0].shape() == shape{2, 3});
    CHECK(values(after.w.optimizer_state()[0]) == std::vector<float>{.1f, .2f, .3f, .4f, .5f, .6f});
    CHECK(values(after.w.optimizer_state()[1]) == std::vector<float>(6, 0.25f));
    REQUIRE(after.b.optimizer_state().size() == 1);
    CHECK(values(after.b.optimizer_state()[0]) == std::vector<float>{7, 8, 9});
    CHECK(after.w.optimizer_steps() == 5);
    CHECK(after.b.optimizer_steps() == 2);
}

TEST_CASE("checkpoint: loading copies into the parameters' existing storage") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt.safetensors";
    trained before;
    save_checkpoint(path, before.params());

    fresh after;
    after.w.optimizer_state() = {tensor<float>::zeros({2, 3}), tensor<float>::zeros({2, 3})};
    after.b.optimizer_state() = {tensor<float>::zeros({3})};
    const auto value_handle = after.w.value();
    const auto moment_handle = after.w.optimizer_state()[1];
    CHECK(load_checkpoint(path, after.params()).empty());
    CHECK(after.w.value().shares_storage_with(value_handle));
    CHECK(after.w.optimizer_state()[1].shares_storage_with(moment_handle));
    CHECK(values(value_handle) == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(values(moment_handle) == std::vector<float>(6, 0.25f));
}

TEST_CASE("checkpoint: the file is a state dict under the documented names") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt.safetensors";
    trained before;
    save_checkpoint(path, before.params(), user_metadata);

    const auto f = load_safetensors(path);
    CHECK(f.names() == std::vector<std::string>{"encoder.0.bias", "encoder.0.weight", "optimizer.encoder.0.bias.0",
                                                "optimizer.encoder.0.weight.0", "optimizer.encoder.0.weight.1"});
    CHECK(f.entry("encoder.0.weight").dtype == safetensors_dtype::f32);
    CHECK(f.entry("encoder.0.weight").shape == std::vector<std::int64_t>{2, 3});
    CHECK(values(f.read<float>("encoder.0.weight")) == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(values(f.read<float>("optimizer.encoder.0.weight.1")) == std::vector<float>(6, 0.25f));
    CHECK(f.metadata() == safetensors_metadata{{"epoch", "3"},
                                               {"latent.checkpoint", "1"},
                                               {"optimizer.encoder.0.bias.steps", "2"},
                                               {"optimizer.encoder.0.weight.steps", "5"},
                                               {"rng_offset", "123456789"}});
    CHECK(checkpoint_layout::state_name("w", 3) == "optimizer.w.3");
    CHECK(checkpoint_layout::steps_key("w") == "optimizer.w.steps");
}

TEST_CASE("checkpoint: double parameters round trip, and dtypes are checked") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt64.safetensors";
    parameter<double> x("x", tensor<double>::from_host({2, 2}, {0.1, 0.2, 0.3, 1e-300}));
    x.optimizer_state() = {tensor<double>::scalar(3.5)};
    x.optimizer_steps() = 9;
    save_checkpoint(path, std::vector<parameter<double>*>{&x}, {{"epoch", "1"}});
    CHECK(load_safetensors(path).entry("x").dtype == safetensors_dtype::f64);

    parameter<double> y("x", tensor<double>::zeros({2, 2}));
    CHECK(load_checkpoint(path, std::vector<parameter<double>*>{&y}) == safetensors_metadata{{"epoch", "1"}});
    CHECK(y.value().to_vector() == std::vector<double>{0.1, 0.2, 0.3, 1e-300});
    REQUIRE(y.optimizer_state().size() == 1);
    CHECK(y.optimizer_state()[0].rank() == 0);
    CHECK(y.optimizer_state()[0].item() == 3.5);
    CHECK(y.optimizer_steps() == 9);

    P z("x", tensor<float>::zeros({2, 2}));
    CHECK_THROWS_WITH_AS(load_checkpoint(path, std::vector<P*>{&z}),
                         doctest::Contains("tensor 'x' (value) is F64 in the file, the parameter holds F32"), io_error);
    CHECK(values(z.value()) == std::vector<float>(4, 0.f));
}

TEST_CASE("checkpoint: a mismatch anywhere leaves every parameter untouched") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt.safetensors";
    trained before;
    save_checkpoint(path, before.params(), user_metadata);
    fresh after;

    SUBCASE("a shape differs in the last parameter") {
        P wrong("encoder.0.bias", tensor<float>::zeros({4}));
        CHECK_THROWS_WITH_AS(load_checkpoint(path, std::vector<P*>{&after.w, &wrong}),
                             doctest::Contains("tensor 'encoder.0.bias' has shape [3] in the file, the parameter [4]"),
                             io_error);
        CHECK(values(wrong.value()) == std::vector<float>(4, 0.f));
    }
    SUBCASE("a tensor is missing") {
        P extra("decoder.0.weight", tensor<float>::zeros({1}));
        CHECK_THROWS_WITH_AS(load_checkpoint(path, std::vector<P*>{&after.w, &after.b, &extra}),
                             doctest::Contains("tensor 'decoder.0.weight' is missing"), io_error);
    }
    SUBCASE("the file holds a tensor no parameter claims") {
        CHECK_THROWS_WITH_AS(load_checkpoint(path, std::vector<P*>{&after.w}),
                             doctest::Contains("tensor 'encoder.0.bias' belongs to none of the 1 parameters"),
                             io_error);
    }
    SUBCASE("a parameter already holds a different number of state tensors") {
        after.b.optimizer_state() = {tensor<float>::zeros({3}), tensor<float>::zeros({3})};
        CHECK_THROWS_WITH_AS(load_checkpoint(path, after.params()),
                             doctest::Contains("'encoder.0.bias' holds 2 optimizer state tensors, the file 1"),
                             io_error);
        after.b.optimizer_state().clear();
    }
    SUBCASE("a parameter already holds state of another shape") {
        after.b.optimizer_state() = {tensor<float>::zeros({1, 3})};
        CHECK_THROWS_WITH_AS(load_checkpoint(path, after.params()),
                             doctest::Contains("tensor 'optimizer.encoder.0.bias.0' has shape [3] in the file"),
                             io_error);
        CHECK(values(after.b.optimizer_state()[0]) == std::vector<float>(3, 0.f));
        after.b.optimizer_state().clear();
    }
    SUBCASE("two parameters share a name") {
        P twin("encoder.0.weight", tensor<float>::zeros({2, 3}));
        CHECK_THROWS_WITH_AS(load_checkpoint(path, std::vector<P*>{&after.w, &twin, &after.b}),
                             doctest::Contains("parameter name 'encoder.0.weight' is given twice"), io_error);
    }
    SUBCASE("the file is truncated") {
        fs::resize_file(path, fs::file_size(path) - 1);
        CHECK_THROWS_WITH_AS(load_checkpoint(path, after.params()), doctest::Contains(path.string().c_str()), io_error);
    }
    SUBCASE("a parameter has no value to load into") {
        P empty("encoder.0.bias", tensor<float>{});
        CHECK_THROWS_AS(load_checkpoint(path, std::vector<P*>{&after.w, &empty}), config_error);
    }
    SUBCASE("the file does not exist") { CHECK_THROWS_AS(load_checkpoint(dir / "absent", after.params()), io_error); }
    CHECK(after.untouched());
}

TEST_CASE("checkpoint: step counts and state are checked as written by hand") {
    scratch dir("checkpoint");
    const auto path = dir / "hand.safetensors";
    const auto a = to_named_tensor("a", tensor<float>::ones({2}));
    const auto load_a = [&]() {
        P target("a", tensor<float>::zeros({2}));
        try {
            load_checkpoint(path, std::vector<P*>{&target});
        } catch (...) {
            CHECK(values(target.value()) == std::vector<float>(2, 0.f));
            CHECK(target.optimizer_state().empty());
            throw;
        }
    };

    save_safetensors(path, std::vector<named_tensor>{a});
    CHECK_THROWS_WITH_AS(load_a(), doctest::Contains("metadata 'optimizer.a.steps' (the step count of 'a') is missing"),
                         io_error);
    for (const char* bad : {"", "-1", "12x", "+3", " 4", "1.0", "99999999999999999999"}) {
        save_safetensors(path, std::vector<named_tensor>{a}, {{"optimizer.a.steps", bad}});
        CHECK_THROWS_WITH_AS(load_a(), doctest::Contains("not a step count"), io_error);
    }
    save_safetensors(path, std::vector<named_tensor>{a}, {{"optimizer.a.steps", "4"}, {"latent.checkpoint", "2"}});
    CHECK_THROWS_WITH_AS(load_a(), doctest::Contains("layout version '2'"), io_error);

    const auto state_as_int = to_named_tensor("optimizer.a.0", tensor<std::int32_t>::zeros({2}));
    save_safetensors(path, std::vector<named_tensor>{a, state_as_int}, {{"optimizer.a.steps", "4"}});
    CHECK_THROWS_WITH_AS(load_a(), doctest::Contains("tensor 'optimizer.a.0' (optimizer state) is I32 in the file"),
                         io_error);

    // state 0 and 2 without 1: the 2 belongs to nothing
    const auto s0 = to_named_tensor("optimizer.a.0", tensor<float>::ones({2}));
    const auto s2 = to_named_tensor("optimizer.a.2", tensor<float>::ones({2}));
    save_safetensors(path, std::vector<named_tensor>{a, s0, s2}, {{"optimizer.a.steps", "4"}});
    CHECK_THROWS_WITH_AS(load_a(), doctest::Contains("tensor 'optimizer.a.2' belongs to none"), io_error);

    // and a well-formed hand-written file loads
    save_safetensors(path, std::vector<named_tensor>{a, s0}, {{"optimizer.a.steps", "4"}, {"note", "by hand"}});
    P target("a", tensor<float>::zeros({2}));
    CHECK(load_checkpoint(path, std::vector<P*>{&target}) == safetensors_metadata{{"note", "by hand"}});
    CHECK(target.optimizer_steps() == 4);
    CHECK(target.optimizer_state().size() == 1);
}

TEST_CASE("checkpoint: loading only the weights, or ignoring unknown tensors") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt.safetensors";
    trained before;
    save_checkpoint(path, before.params());

    // optimizer_state(false): values only, the parameters' own state and steps stay
    fresh after;
    after.w.optimizer_state() = {tensor<float>::full({1}, 42.f)};
    after.w.optimizer_steps() = 77;
    load_checkpoint(path, after.params(), checkpoint_load_options{}.optimizer_state(false));
    CHECK(values(after.w.value()) == std::vector<float>{1, 2, 3, 4, 5, 6});
    REQUIRE(after.w.optimizer_state().size() == 1);
    CHECK(values(after.w.optimizer_state()[0]) == std::vector<float>{42.f});
    CHECK(after.w.optimizer_steps() == 77);
    CHECK(after.b.optimizer_state().empty());

    // a plain state dict, as PyTorch's safetensors.torch.save_file writes one
    const auto plain = dir / "state_dict.safetensors";
    save_safetensors(plain, std::vector<named_tensor>{to_named_tensor("encoder.0.weight", tensor<float>::ones({2, 3})),
                                                      to_named_tensor("encoder.0.bias", tensor<float>::ones({3}))});
    fresh other;
    CHECK_THROWS_WITH_AS(load_checkpoint(plain, other.params()), doctest::Contains("step count"), io_error);
    CHECK(other.untouched());
    load_checkpoint(plain, other.params(), checkpoint_load_options{}.optimizer_state(false));
    CHECK(values(other.b.value()) == std::vector<float>(3, 1.f));

    // ignore_unknown: a subset of the parameters loads from a larger file
    fresh part;
    load_checkpoint(path, std::vector<P*>{&part.b}, checkpoint_load_options{}.ignore_unknown(true));
    CHECK(values(part.b.value()) == std::vector<float>{-1, 0, 1});
    CHECK(part.b.optimizer_steps() == 2);
    CHECK(values(part.w.value()) == std::vector<float>(6, 0.f));
}

TEST_CASE("checkpoint: a refused or failed save keeps the old checkpoint") {
    scratch dir("checkpoint");
    const auto path = dir / "ckpt.safetensors";
    trained before;
    save_checkpoint(path, before.params(), user_metadata);
    const bytes_t old = read_bytes(path);

    CHECK_THROWS_WITH_AS(save_checkpoint(path, before.params(), {{"optimizer.lr", "1"}}),
                         doctest::Contains("metadata key 'optimizer.lr' is reserved"), io_error);
    CHECK_THROWS_WITH_AS(save_checkpoint(path, before.params(), {{"latent.checkpoint", "7"}}),
                         doctest::Contains("is reserved"), io_error);
    P twin("encoder.0.weight", tensor<float>::zeros({1}));
    CHECK_THROWS_WITH_AS(save_checkpoint(path, std::vector<P*>{&before.w, &twin}),
                         doctest::Contains("two tensors would be saved as 'encoder.0.weight'"), io_error);
    // a parameter whose name is another's optimizer state
    P impostor("optimizer.encoder.0.weight.1", tensor<float>::zeros({1}));
    CHECK_THROWS_WITH_AS(save_checkpoint(path, std::vector<P*>{&before.w, &impostor}),
                         doctest::Contains("'optimizer.encoder.0.weight.1'"), io_error);
    P undefined("u", tensor<float>{});
    CHECK_THROWS_WITH_AS(save_checkpoint(path, std::vector<P*>{&undefined}), doctest::Contains("'u' is undefined"),
                         io_error);
    CHECK(read_bytes(path) == old);
    CHECK(dir.listing() == std::set<std::string>{"ckpt.safetensors"});

    // the target is a directory: the write itself fails, and cleans up
    fs::create_directory(dir / "taken");
    CHECK_THROWS_WITH_AS(save_checkpoint(dir / "taken", before.params()),
                         doctest::Contains((dir / "taken").string().c_str()), io_error);
    CHECK(fs::is_directory(dir / "taken"));
    CHECK(dir.listing() == std::set<std::string>{"ckpt.safetensors", "taken"});
}
