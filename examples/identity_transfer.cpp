// identity_transfer: seed 000's Method 2 on the procedural shapes (eq. 6).
//
// The label is the shape (square, ellipse, heart); scale, orientation and
// position are the identity. Each model changes a test image's shape to each
// other shape; because the data are generated, the image with the same
// identity and the target shape exists exactly, so we measure
//   target−changed    how close the switched image is to the true answer,
//   original−changed  how much the switch changed the input,
//   target−original   the distance the switch had to cover (model-free),
// as per-pixel mean squared errors averaged over pairs, for VAE, CondVAE,
// CondVAE-info and CSVAE trained with the same networks and budget.
//
//   identity_transfer --out DIR [--epochs N] [--batch N] [--lr X] [--seed N] [--quick] [--resume] [--device cpu|cuda]
//
// Writes metrics.json (mse_target_changed_<model>, mse_original_changed_<model>,
// mse_target_original), transfer.png, latents.csv (CSVAE, test inputs),
// model.safetensors (CSVAE) and the trainers' checkpoints.
#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <latent/data/samplers.hpp>
#include <latent/data/shapes.hpp>
#include <latent/eval/identity_transfer.hpp>
#include <latent/io/json.hpp>
#include <latent/io/png.hpp>
#include <latent/models/cond_vae.hpp>
#include <latent/models/csvae.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/models/networks.hpp>
#include <latent/models/vae.hpp>
#include <latent/train/trainer.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

using namespace latent;

namespace {

constexpr std::int64_t shapes_count = 3;
const std::vector<std::string> model_names{"vae", "cond_vae", "cond_vae_info", "csvae"};

struct setup {
    common_flags flags;
    int stop_after;
    data::shapes all;  // every combination, for looking up targets
    data::index_list train, validation, test;
};

template <class M>
void train(M& m, const setup& s, const std::string& name) {
    examples::train_model(m, s.all, s.train, s.flags, s.stop_after, name);
}

/// Each test input with each other shape: the inputs, their labels, the target shapes and the
/// true target images (same identity, other shape).
struct transfer_set {
    data::batch<float, cpu> originals;
    std::vector<std::int32_t> targets;
    tensor<float, cpu> target_images;
};
transfer_set make_transfer_set(const setup& s) {
    data::index_list inputs, targets_idx;
    std::vector<std::int32_t> targets;
    for (std::int64_t i : s.test) {
        const data::shape_factors f = s.all.factors_of(i);
        for (int k = 0; k < shapes_count; ++k) {
            if (k == f.shape) continue;
            data::shape_factors g = f;
            g.shape = k;
            inputs.push_back(i);
            targets.push_back(k);
            targets_idx.push_back(*s.all.find_index(g));
        }
    }
    return {data::read_batch<float, cpu>(s.all, inputs), targets, data::read_batch<float, cpu>(s.all, targets_idx).x};
}

/// Changes the whole set in chunks; `fn` receives each chunk on backend B, the images come back to the host.
template <backend B, class Switch>
tensor<float, cpu> switch_all(const transfer_set& set, Switch&& fn) {
    return examples::switch_in_chunks<B>(set.originals.x, set.originals.y, set.targets, std::forward<Switch>(fn));
}

/// Images as [n, features] points for the MSE.
eval::host_points flat(const tensor<float, cpu>& images) {
    return eval::host_points(images.reshape({images.shape()[0], images.numel() / images.shape()[0]}));
}

template <backend B>
void train_and_report(const common_flags& flags, int stop_after);

void run(int argc, char** argv) {
    common_flags flags;
    flags.epochs = 10;
    flags.batch = 128;
    flags.out = "out/identity_transfer";
    int stop_after = 0;
    flag_parser("identity_transfer", "seed 000's Method 2 on procedural shapes for VAE, CondVAE, CondVAE-info and CSVAE")
        .add_common(flags)
        .option("--stop-after", stop_after, "end after this many epochs per model, as if interrupted (for --resume)", 0)
        .parse(argc, argv);
    if (flags.quick) flags.epochs = std::min(flags.epochs, 2);
    examples::run_on_device(flags.device, "identity_transfer", [&]<backend B>() { train_and_report<B>(flags, stop_after); });
}

/// Trains the four models on backend B (the data stay on the host) and writes the metrics and figures.
template <backend B>
void train_and_report(const common_flags& flags, int stop_after) {
    std::filesystem::create_directories(flags.out);
    const auto began = std::chrono::steady_clock::now();

    setup s{flags, stop_after, data::shapes(data::shapes_options{}.label(data::shape_factor::shape), data::shapes_part::all),
            {}, {}, {}};
    // A seeded sample of the grid, split 80/10/10 with the shapes in proportion.
    const std::int64_t used = flags.quick ? 6000 : 40000;
    data::index_list sample = data::epoch_permutation(s.all.size(), flags.seed, 0);
    sample.resize(static_cast<std::size_t>(used));
    const auto split = data::stratified_split(data::label_table::of(s.all), sample, data::split_options{}.seed(flags.seed));
    s.train = split.train;
    s.validation = split.validation;
    s.test.assign(split.test.begin(), split.test.begin() + std::min<std::ptrdiff_t>(flags.quick ? 200 : 1000,
                                                                                     static_cast<std::ptrdiff_t>(split.test.size())));
    const transfer_set set = make_transfer_set(s);

    const auto nets = mlp_networks<float, B>({512, 256});
    const auto layout = s.all.layout();
    const model_options base = model_options{}.size("z", 8);
    auto vae_model = vae<>::build(B{}, layout, nets, base, flags.seed);
    auto cond = cond_vae<>::build(B{}, layout, nets, base, flags.seed);
    auto info = cond_vae_info<>::build(B{}, layout, nets, model_options(base).weight("ce.z", 1), flags.seed);
    auto cs = csvae<>::build(B{}, layout, nets,
                             model_options(base).size("w", 2).weight("entropy.z", 20).weight("adversary.z", 1), flags.seed);
    train(vae_model, s, "vae");
    train(cond, s, "cond_vae");
    train(info, s, "cond_vae_info");
    train(cs, s, "csvae");

    const auto vae_means = class_means(encode_dataset(vae_model, s.all, s.train), shapes_count);
    const auto cs_validation = encode_dataset(cs, s.all, s.validation);
    const auto w_star =
        class_means(encoded_set{segment_of(cs_validation.latents, cs.layout()["w"]), cs_validation.labels, 1}, shapes_count);
    std::vector<tensor<float, cpu>> changed;
    changed.push_back(switch_all<B>(set, [&](const auto& x, const auto& y, const auto& t) {
        return switch_by_arithmetic(vae_model, x, y, t, vae_means);
    }));
    changed.push_back(switch_all<B>(set, [&](const auto& x, const auto& y, const auto& t) {
        return switch_by_label(cond, x, y, examples::on<B>(examples::label_rows(t)));
    }));
    changed.push_back(switch_all<B>(set, [&](const auto& x, const auto& y, const auto& t) {
        return switch_by_label(info, x, y, examples::on<B>(examples::label_rows(t)));
    }));
    changed.push_back(switch_all<B>(set, [&](const auto& x, const auto& y, const auto& t) {
        return switch_by_segment(cs, x, y, t, "w", w_star);
    }));

    metrics m;
    for (std::size_t k = 0; k < model_names.size(); ++k) {
        const auto r = eval::identity_transfer_mse(flat(set.originals.x), flat(changed[k]), flat(set.target_images));
        m.set("mse_target_changed_" + model_names[k], r.target_changed);
        m.set("mse_original_changed_" + model_names[k], r.original_changed);
        if (k == 0) m.set("mse_target_original", r.target_original);
    }

    // The first input, each model's two transfers beside the true targets.
    std::vector<float> cells;
    std::vector<std::string> rows{"true"};
    const std::int64_t px = layout.features();
    const auto append = [&](const tensor<float, cpu>& images, std::int64_t i) {
        const auto v = images.rows(i, i + 1).to_vector();
        cells.insert(cells.end(), v.begin(), v.end());
    };
    append(set.originals.x, 0), append(set.target_images, 0), append(set.target_images, 1);
    for (std::size_t k = 0; k < model_names.size(); ++k) {
        rows.push_back(model_names[k]);
        append(set.originals.x, 0), append(changed[k], 0), append(changed[k], 1);
    }
    const std::vector<std::string> columns{"input", std::string("to ") + data::shape_kind_names[std::size_t(set.targets[0])],
                                           std::string("to ") + data::shape_kind_names[std::size_t(set.targets[1])]};
    write_grid_png(flags.out / "transfer.png", cells, static_cast<std::int64_t>(cells.size()) / px, 1, 28, 28,
                   static_cast<int>(rows.size()), 3,
                   grid_options{}.scale(3).row_labels(rows).column_labels(columns).title("identity transfer"));

    examples::write_model_outputs(cs, flags.out, encode_dataset(cs, s.all, s.test), {"shape"});

    m.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    examples::finish(m, flags.out);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
