// Whole training steps through latent::cuda::graph_step, and the device memory a
// steady-state step asks for. Compiled twice: by g++ on Thrust's OMP system,
// where graph_step is its documented fallback (the step runs every time), and
// by nvcc in the gpu suite, where the step is captured once as a CUDA Graph and
// replayed. Either way the trained model must equal one trained eagerly.
#include "compare.hpp"

using namespace latent;
using device_test::check_close;
using device_test::launches;
using device_test::random_labels;
using device_test::random_tensor;

namespace {
/// An MLP classifier on the device with fixed input, label and loss tensors (what a captured step needs).
struct mlp_model {
    generator init{31};
    std::unique_ptr<nn::sequential<float, device>> net =
        nn::mlp<float, device>({8, 32, 32, 4}, init, nn::activation::relu);
    std::vector<parameter<float, device>*> params = net->parameters();
    adam<float, device> opt{params, adam_options{}.lr(0.01)};
    tensor<float, device> x{shape{16, 8}};
    tensor<std::int32_t, device> y = random_labels(16, 4, 5).to<device>();
    tensor<float, device> loss_out{shape{}};

    /// Forward and backward: device work only, the loss copied into loss_out.
    void forward_backward() {
        opt.zero_grad();
        const var<float, device> loss = mean(cross_entropy_with_logits((*net)(var<float, device>(x)), y));
        backward(loss);
        loss_out.copy_(loss.value());
    }
};
}  // namespace

TEST_CASE("device graph: training through graph_step equals eager training, step after step") {
    mlp_model eager, graphed;
    latent::cuda::graph_step step;
    for (std::uint32_t t = 0; t < 5; ++t) {
        CAPTURE(t);
        const auto batch = random_tensor({16, 8}, 100 + t);
        eager.x.copy_(batch.to<device>());
        eager.forward_backward();
        eager.opt.step();

        graphed.x.copy_(batch.to<device>());  // a new batch into the captured input tensor
        step.run([&] { graphed.forward_backward(); });
        graphed.opt.step();  // outside the step: Adam's bias corrections change every step

        CHECK(graphed.loss_out.item() == doctest::Approx(eager.loss_out.item()).epsilon(1e-5));
    }
    for (std::size_t i = 0; i < eager.params.size(); ++i)
        check_close(eager.params[i]->value().to<cpu>(), graphed.params[i]->value(), "parameter " + eager.params[i]->name());
    CHECK(step.runs() == 5);
    if (latent::cuda::graphs_available) {
        CHECK(step.captured());
        CHECK(step.replays() == 4);  // the first run is the eager warm-up
    } else {
        CHECK_FALSE(step.captured());  // host systems: the documented fallback runs the step each time
        CHECK(step.replays() == 0);
    }
}

TEST_CASE("device graph: a replayed step launches at most one graph, an eager one every kernel") {
    mlp_model m;
    latent::cuda::graph_step step;
    m.x.copy_(random_tensor({16, 8}, 7).to<device>());
    step.run([&] { m.forward_backward(); });
    step.run([&] { m.forward_backward(); });
    const std::uint64_t l0 = launches();
    step.run([&] { m.forward_backward(); });
    // A replay runs no op code, so the launch layer counts nothing; the fallback counts every kernel.
    if (latent::cuda::graphs_available) CHECK(launches() == l0);
    else CHECK(launches() - l0 > 20);
    step.reset();
    CHECK(step.runs() == 0);
    CHECK_FALSE(step.captured());
}

TEST_CASE("device memory: a steady-state training step calls the backend's allocator not once") {
    mlp_model m;
    latent::cuda::graph_step step;
    for (std::uint32_t t = 0; t < 3; ++t) {
        m.x.copy_(random_tensor({16, 8}, 200 + t).to<device>());
        m.forward_backward();
        m.opt.step();
        step.run([&] { m.forward_backward(); });
        m.opt.step();
    }
    // cudaMalloc under CUDA (counted where it is called, not by the arena's own bookkeeping).
    const std::uint64_t before = device_stats().allocations.load();
    for (std::uint32_t t = 0; t < 5; ++t) {
        m.x.copy_(random_tensor({16, 8}, 300 + t).to<device>());
        m.forward_backward();
        m.opt.step();
        step.run([&] { m.forward_backward(); });
        m.opt.step();
        (void)m.loss_out.item();
    }
    CHECK(device_stats().allocations.load() == before);
}
