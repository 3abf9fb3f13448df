// The README's "Using it from your project" snippet, verbatim between the
// markers, so that the documentation cannot drift from the code.
#include <doctest/doctest.h>

#include <latent/latent.hpp>

#include <filesystem>

TEST_CASE("readme: the usage snippet compiles and trains") {
    if (!std::filesystem::exists(latent::data::fashion_mnist_default_dir)) {
        MESSAGE("Fashion-MNIST is not installed; skipped");
        return;
    }
    const auto here = std::filesystem::current_path();
    std::filesystem::current_path(std::filesystem::temp_directory_path());
    float first = 0, last = 0;
    for (int repeat = 0; repeat < 1; ++repeat) {
        // --- README snippet begins
        using namespace latent;

        generator gen(1);                                        // Philox: seed, stream, offset
        auto net = nn::mlp<float>({784, 256, 10}, gen);          // layers composed at run time
        adam<float> opt(net->parameters("default"), adam_options{}.lr(1e-3));

        auto data = data::load_fashion_mnist(data::split::train);
        auto x = data.images.rows(0, 128).reshape({128, 784});
        auto y = data.labels.rows(0, 128);

        opt.zero_grad();
        auto loss = mean(cross_entropy_with_logits(net->forward(var<float>(x)), y));
        backward(loss);                                          // gradients into every parameter
        opt.step();
        save_checkpoint("model.safetensors", net->parameters()); // PyTorch's state-dict names
        // --- README snippet ends
        first = loss.item();
        for (int step = 0; step < 20; ++step) {
            opt.zero_grad();
            auto l = mean(cross_entropy_with_logits(net->forward(var<float>(x)), y));
            backward(l);
            opt.step();
            last = l.item();
        }
        CHECK(std::filesystem::exists("model.safetensors"));
        std::filesystem::remove("model.safetensors");
    }
    std::filesystem::current_path(here);
    CHECK(last < 0.5f * first);  // it learns the batch
}

#include <fstream>
#include <sstream>
#include <string>

namespace {
std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}
std::string trim(const std::string& line) {
    const auto b = line.find_first_not_of(' '), e = line.find_last_not_of(' ');
    return b == std::string::npos ? "" : line.substr(b, e - b + 1);
}
}  // namespace

TEST_CASE("readme: the snippet above is the one the README shows") {
    const std::string readme = slurp(std::filesystem::path(LATENT_SOURCE_DIR) / "README.md");
    const std::string self = slurp(std::filesystem::path(LATENT_SOURCE_DIR) / "tests/train/readme.cpp");
    const auto section = readme.find("## Using it from your project");
    REQUIRE(section != std::string::npos);
    const auto begin = readme.find("```cpp\n", section), end = readme.find("```", begin + 7);
    REQUIRE(begin != std::string::npos);
    std::istringstream lines(readme.substr(begin + 7, end - begin - 7));
    int checked = 0;
    for (std::string line; std::getline(lines, line);) {
        const std::string t = trim(line);
        if (t.empty() || t.rfind("#include", 0) == 0) continue;
        INFO("README line not in tests/train/readme.cpp: ", t);
        CHECK(self.find(t) != std::string::npos);
        ++checked;
    }
    CHECK(checked >= 10);
}
