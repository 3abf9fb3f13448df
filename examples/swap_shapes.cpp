// swap_shapes: the swap model of Mathieu et al. (MODELS.md §7, seed 003) on the procedural
// shapes, with identities it never saw in training, as seed 003's Sprites and NORB experiments.
//
// An image's identity is its shape × scale (3 × 6 = 18 identities): s should hold it and z the
// rest (orientation and position). Three identities, one per shape, are held out of training
// altogether. Because every image is rendered from known factors, a swap has an exact answer:
// Dec(z1, s2) should be the image with x2's shape and scale at x1's orientation and position,
// rendered. The example scores
//   - seed 003's Table 1 on the seen identities: a 2-layer MLP (256 units) on z and on s,
//     early-stopped on validation, predicting the identity (z_error_*, s_error_*, chance_error);
//   - the same on the held-out identities alone, the probe trained on some of their images and
//     tested on others (unseen_z_error, unseen_s_error, unseen_chance_error): s should tell new
//     identities apart, z should not;
//   - swaps against the rendered truth, per-pixel mean squared error, with s from seen and from
//     held-out identities (swap_mse_seen, swap_mse_unseen), beside the error of answering x1
//     itself (copy_mse_unseen: what a swap that ignored s2 would score) and the reconstruction
//     error (recon_mse), and how much the decoder's output moves when z or s comes from another
//     image (z_effect, s_effect: near 0 for a code it ignores).
// `--models swap,swap_noadv` also trains the ablation without the adversary and scores it the
// same way, its metrics ending in _noadv.
//
//   swap_shapes --out DIR [--epochs N] [--batch N] [--lr X] [--seed N] [--quick] [--resume] [--device cpu|cuda]
//               [--z-dim N] [--s-dim N] [--lambda X] [--kl-weight X] [--swap-weight X] [--d-optimizer adam|sgd]
//               [--d-lr X] [--real-target X] [--beta1 X] [--gate X] [--time-budget S] [--train-images N]
//               [--models swap,swap_noadv]
//
// Writes to --out: metrics.json, latents.csv (z_<i> and s_<i> of 1000 seen test images, the
// label their identity) and model.safetensors, the figures of swap_common.hpp on seen test
// images, swap_unseen.png (z of seen images, rows, with s of held-out identities, columns) and
// the checkpoint under checkpoints/swap.
#include "swap_common.hpp"

#include <latent/app/main.hpp>
#include <latent/data/shapes.hpp>
#include <latent/models/networks.hpp>
#include <latent/models/swap.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace latent;

namespace {

using examples::host;
using examples::index_range;
using examples::mse;
using examples::on;
using examples::swap_config;

constexpr int scales = 6;
constexpr std::int64_t identities = data::shape_kind_count * scales;

/// The identity of a combination: shape × scale, 0 … 17.
std::int32_t identity_of(const data::shape_factors& f) { return f.shape * scales + f.scale; }

/// Held out of training: one identity per shape, each at another scale.
bool held_out_identity(const data::shape_factors& f) {
    return (f.shape == 0 && f.scale == 1) || (f.shape == 1 && f.scale == 4) || (f.shape == 2 && f.scale == 2);
}

/// A part of the shapes labelled with its identity (one categorical label of 18 classes).
class identity_shapes {
public:
    explicit identity_shapes(data::shapes s) : shapes_(std::move(s)), layout_(shapes_.layout()) {
        layout_.label_width = 1;
        layout_.classes = static_cast<int>(identities);
        layout_.label_names = {"identity"};
    }
    std::int64_t size() const { return shapes_.size(); }
    const data::example_layout& layout() const { return layout_; }
    void read(std::int64_t i, float* x, std::int32_t* y) const {
        const data::shape_factors f = shapes_.factors_of(i);
        shapes_.render(f, x);
        y[0] = identity_of(f);
    }
    const data::shapes& shapes() const { return shapes_; }

private:
    data::shapes shapes_;
    data::example_layout layout_;
};

/// The rendered answers of swapping x2's identity into x1 for each pair: x2's shape and scale at
/// x1's orientation and position.
std::vector<float> swap_truth(const identity_shapes& ones, const data::index_list& first, const identity_shapes& twos,
                              const data::index_list& second) {
    const auto pixels = static_cast<std::size_t>(ones.layout().features());
    std::vector<float> out(first.size() * pixels);
    for (std::size_t k = 0; k < first.size(); ++k) {
        data::shape_factors f = ones.shapes().factors_of(first[k]);
        const data::shape_factors g = twos.shapes().factors_of(second[k]);
        f.shape = g.shape;
        f.scale = g.scale;
        ones.shapes().render(f, out.data() + k * pixels);
    }
    return out;
}

template <backend B>
void train_and_report(const swap_config& c, std::int64_t train_images, const std::vector<std::string>& models) {
    const common_flags& flags = c.flags;
    std::filesystem::create_directories(flags.out);
    const auto began = std::chrono::steady_clock::now();
    const auto options = data::shapes_options{}.scales(scales).hold_out(held_out_identity).shuffle(flags.seed);
    const identity_shapes seen(data::shapes(options, data::shapes_part::train));
    const identity_shapes unseen(data::shapes(options, data::shapes_part::held_out));

    // One shuffled order of the seen part: training images first, then validation and test.
    const std::int64_t validation_images = flags.quick ? 500 : 2000, test_images = flags.quick ? 1000 : 3000;
    LATENT_CHECK(train_images + validation_images + test_images <= seen.size(), config_error, "--train-images: ",
                 train_images, " leaves too few of the ", seen.size(), " seen images for validation and test");
    const data::index_list train_ids = index_range(0, train_images);
    const examples::probe_sets seen_sets{index_range(0, std::min<std::int64_t>(train_images, 10000)),
                                         index_range(train_images, validation_images),
                                         index_range(train_images + validation_images, test_images)};
    // The held-out identities: a probe learns them from some of their images.
    const std::int64_t unseen_images = flags.quick ? 900 : 3000;
    const examples::probe_sets unseen_sets{index_range(0, unseen_images / 3),
                                           index_range(unseen_images / 3, unseen_images / 6),
                                           index_range(unseen_images / 2, unseen_images / 2)};
    const auto labels_of = [](const identity_shapes& source, const data::index_list& ids) {
        std::vector<std::int32_t> labels;
        for (std::int64_t i : ids) labels.push_back(identity_of(source.shapes().factors_of(i)));
        return labels;
    };

    metrics m;
    m.set("chance_error", examples::chance_error(labels_of(seen, seen_sets.test), identities));
    m.set("unseen_chance_error", examples::chance_error(labels_of(unseen, unseen_sets.test), identities));

    // Swaps against the rendered truth: z of seen test images with s of seen and of unseen ones.
    const std::int64_t pairs = 500;
    const data::index_list ones = index_range(train_images + validation_images, pairs);
    const data::index_list seen_twos = index_range(train_images + validation_images + pairs, pairs);
    const data::index_list unseen_twos = index_range(0, pairs);
    const auto x1 = data::read_batch<float, cpu>(seen, ones).x;
    const std::vector<float> truth_seen = swap_truth(seen, ones, seen, seen_twos);
    const std::vector<float> truth_unseen = swap_truth(seen, ones, unseen, unseen_twos);
    const auto unseen_x2 = data::read_batch<float, cpu>(unseen, unseen_twos).x;
    m.set("copy_mse_unseen", mse(x1.to_vector(), truth_unseen));

    // A trained model's metrics, named with `suffix`: Table 1 on the seen identities, the probes
    // on the held-out ones, and the swaps against the truth.
    const auto score = [&](auto& model, const std::string& suffix) {
        examples::set_code_errors(m, examples::code_errors(model, seen, seen, seen_sets, identities, flags.seed), suffix);
        const auto u = examples::code_errors(model, unseen, unseen, unseen_sets, identities, flags.seed);
        m.set("unseen_z_error" + suffix, u.z.test);
        m.set("unseen_z_means_error" + suffix, u.z_means.test);
        m.set("unseen_s_error" + suffix, u.s.test);
        const examples::swap_sample sample = examples::swap_sample_of<B>(model, seen, ones, seen, seen_twos);
        m.set("swap_mse_seen" + suffix, mse(sample.swapped, truth_seen));
        m.set("swap_mse_unseen" + suffix,
              mse(host(swap_pairs(model, on<B>(x1), on<B>(unseen_x2), "s")).to_vector(), truth_unseen));
        m.set("recon_mse" + suffix, mse(sample.a_decoded, sample.a));
        const auto effects = examples::effects_of_codes(sample);
        m.set("z_effect" + suffix, effects.z);
        m.set("s_effect" + suffix, effects.s);
    };

    const auto nets = conv_networks<float, B>(nn::conv_stack_28());
    if (std::ranges::find(models, "swap") != models.end()) {
        auto model = swap_model<squared_error_likelihood>::build(B{}, seen.layout(), nets, examples::swap_options(c, true),
                                                                 flags.seed);
        const auto [epochs, seconds] = examples::train_swap(model, seen, train_ids, c, "swap");
        m.set("epochs", epochs);
        m.set("train_seconds", seconds);
        score(model, "");

        const auto test_inputs = data::read_batch<float, cpu>(seen, seen_sets.test).x.rows(0, 8).clone();
        const data::index_list database = index_range(0, std::min<std::int64_t>(train_images, 5000));
        examples::write_code_figures<B>(model, flags.out, test_inputs, seen, database,
                                        encode_dataset(model, seen, database), 28, flags.seed);
        const auto columns = data::read_batch<float, cpu>(unseen, index_range(0, 8)).x;
        examples::write_headed_grid(flags.out / "swap_unseen.png", test_inputs.to_vector(), columns.to_vector(),
                                    host(swap_grid(model, on<B>(test_inputs), on<B>(columns), "s")).to_vector(), 8, 28,
                                    "z of seen images, s of held-out identities");
        examples::write_model_outputs(
            model, flags.out, encode_dataset(model, seen, index_range(seen_sets.test.front(), 1000)), {"identity"});
    }
    if (std::ranges::find(models, "swap_noadv") != models.end()) {
        auto model = swap_model_without_adversary<squared_error_likelihood>::build(
            B{}, seen.layout(), nets, examples::swap_options(c, false), flags.seed);
        const auto [epochs, seconds] = examples::train_swap(model, seen, train_ids, c, "swap_noadv");
        m.set("epochs_noadv", epochs);
        m.set("train_seconds_noadv", seconds);
        score(model, "_noadv");
    }
    m.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    examples::finish(m, flags.out);
}

void run(int argc, char** argv) {
    swap_config c;
    c.flags.epochs = 10;
    c.flags.batch = 64;
    c.flags.lr = 1e-3;
    c.flags.out = "out/swap_shapes";
    c.z_dim = 8;
    c.s_dim = 8;
    c.kl_weight = 4;  // z must keep orientation and position (about 8.5 nats of the grid's)
    std::int64_t train_images = 20000;
    std::string models = "swap";
    flag_parser p("swap_shapes", "the swap model on the shapes, shape × scale as identity, some identities unseen");
    examples::add_swap_flags(p, c)
        .option("--train-images", train_images, "seen images the model trains on", 1)
        .option("--models", models, "which to train: swap (the full model), swap_noadv (the ablation), or both")
        .parse(argc, argv);
    examples::check_swap_config(c);
    const std::vector<std::string> chosen = examples::parse_models(models, {"swap", "swap_noadv"});
    if (c.flags.quick) {
        c.flags.epochs = std::min(c.flags.epochs, 2);
        train_images = std::min<std::int64_t>(train_images, 4000);
    }
    examples::run_on_device(c.flags.device, "swap_shapes", [&]<backend B>() { train_and_report<B>(c, train_images, chosen); });
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
