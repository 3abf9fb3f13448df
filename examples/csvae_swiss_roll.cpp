// csvae_swiss_roll: CSVAE on the swiss roll (seed 000 §5.1, seed 001 §3.1).
//
// The label says which half of the roll a point lies on. CSVAE should put it
// in w (a label subspace of 2 dims) and keep it out of z (2 free dims): a
// fresh MLP probe predicts it from w almost always and from z near chance,
// and the kNN KL estimate between the two halves' latents is large in w and
// small in z. The same model without its adversary, and a plain VAE, are
// trained with the same networks and budget for comparison (seed 001 Figures 1–3).
//
//   csvae_swiss_roll --out DIR [--seed N] [--epochs N] [--batch N] [--lr X] [--quick] [--resume] [--device cpu|cuda]
//
// Writes to --out: metrics.json, latents.csv (test split, CSVAE), model.safetensors,
// z.png / w.png (+ .csv) projections coloured by label, and the trainers' checkpoints.
#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <latent/data/swiss_roll.hpp>
#include <latent/eval/knn_kl.hpp>
#include <latent/eval/probes.hpp>
#include <latent/io/json.hpp>
#include <latent/io/plot.hpp>
#include <latent/models/csvae.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/models/networks.hpp>
#include <latent/models/vae.hpp>
#include <latent/train/trainer.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace latent;

namespace {

/// CSVAE without its adversary: the same partition, priors and likelihood, no MI term.
using csvae_without_adversary =
    model<partition<block<"z", dynamic, standard_normal, gaussian_posterior<from_x>>,
                    label_blocks<"w", dynamic, switch_prior, gaussian_posterior<from_x_and_y>>>,
          squared_error_likelihood>;

struct roll_run {
    const common_flags& flags;
    int stop_after;
    const data::swiss_roll& train;
    const data::swiss_roll& test;
    data::index_list train_ids, test_ids;
};

/// The loss weights of seed 000 §5 for the element-mean squared error (MODELS.md §4).
model_options roll_options(bool adversary) {
    model_options o = model_options{}.size("z", 2).size("w", 2).reconstruction(reduction::mean);
    o.weight("recon", 20).weight("kl.w", 1).weight("kl.z", 0.2);
    if (adversary) o.weight("entropy.z", 10).weight("adversary.z", 1);
    return o;
}

template <class M>
void train(M& m, const roll_run& r, const std::string& name) {
    examples::train_model(m, r.train.data, r.train_ids, r.flags, r.stop_after, name, {r.flags.epochs * 3 / 4});
}

/// Posterior means of one segment for a whole set.
template <class M>
tensor<float, cpu> segment_means(M& m, const data::swiss_roll& set, const data::index_list& ids, const std::string& seg) {
    return segment_of(encode_dataset(m, set.data, ids).latents, m.layout()[seg]);
}

std::vector<std::int32_t> labels_of(const data::swiss_roll& set) { return set.data.labels(); }

/// Probe accuracy of a segment: trained on training means, scored on test means.
template <class M>
double probe(M& m, const roll_run& r, const std::string& seg, int epochs) {
    return eval::probe_accuracy(segment_means(m, r.train, r.train_ids, seg), labels_of(r.train),
                                segment_means(m, r.test, r.test_ids, seg), labels_of(r.test),
                                eval::probe_options{}.hidden({64, 64}).epochs(epochs).seed(r.flags.seed));
}

double knn_kl(const tensor<float, cpu>& points, const std::vector<std::int32_t>& labels) {
    return eval::knn_kl_by_label(points, labels, 1, 0, eval::knn_kl_options{}.k(1));
}

template <backend B>
void train_and_report(const common_flags& flags, int stop_after);

void run(int argc, char** argv) {
    common_flags defaults;
    defaults.epochs = 150;
    defaults.batch = 64;
    defaults.out = "out/csvae_swiss_roll";
    common_flags flags = defaults;
    int stop_after = 0;
    flag_parser("csvae_swiss_roll", "CSVAE on the swiss roll, with its ablations (seed 000 §5.1)")
        .add_common(flags)
        .option("--stop-after", stop_after, "end after this many epochs per model, as if interrupted (for --resume)", 0)
        .parse(argc, argv);
    if (flags.quick) flags.epochs = std::min(flags.epochs, 40);
    examples::run_on_device(flags.device, "csvae_swiss_roll", [&]<backend B>() { train_and_report<B>(flags, stop_after); });
}

/// Trains the three models on backend B and writes the metrics and figures.
template <backend B>
void train_and_report(const common_flags& flags, int stop_after) {
    std::filesystem::create_directories(flags.out);
    const auto began = std::chrono::steady_clock::now();

    const data::swiss_roll train_set = data::make_swiss_roll(10000, flags.seed);
    const data::swiss_roll test_set = data::make_swiss_roll(4000, flags.seed + 1000003);
    roll_run r{flags, stop_after, train_set, test_set, examples::first_n(10000), examples::first_n(4000)};
    const int probe_epochs = flags.quick ? 10 : 30;
    const auto layout = train_set.data.layout();
    const auto nets = mlp_networks<float, B>({64, 64});

    auto main_model = csvae<squared_error_likelihood>::build(B{}, layout, nets, roll_options(true), flags.seed);
    train(main_model, r, "csvae");
    auto ablation = csvae_without_adversary::build(B{}, layout, nets, roll_options(false), flags.seed);
    train(ablation, r, "csvae_noadv");
    auto plain = vae<squared_error_likelihood>::build(
        B{}, layout, nets, model_options{}.size("z", 4).reconstruction(reduction::mean).weight("recon", 20).weight("kl.z", 0.2),
        flags.seed);
    train(plain, r, "vae");

    const auto test_labels = labels_of(test_set);
    const auto z = segment_means(main_model, test_set, r.test_ids, "z");
    const auto w = segment_means(main_model, test_set, r.test_ids, "w");
    const auto z_noadv = segment_means(ablation, test_set, r.test_ids, "z");
    const auto w_noadv = segment_means(ablation, test_set, r.test_ids, "w");

    metrics m;
    m.set("acc_from_z", probe(main_model, r, "z", probe_epochs));
    m.set("acc_from_w", probe(main_model, r, "w", probe_epochs));
    m.set("knn_kl_z", knn_kl(z, test_labels));
    m.set("knn_kl_w", knn_kl(w, test_labels));
    m.set("noadv_acc_from_z", probe(ablation, r, "z", probe_epochs));
    m.set("noadv_acc_from_w", probe(ablation, r, "w", probe_epochs));
    m.set("noadv_knn_kl_z", knn_kl(z_noadv, test_labels));
    m.set("noadv_knn_kl_w", knn_kl(w_noadv, test_labels));
    m.set("vae_acc", probe(plain, r, "z", probe_epochs));
    m.set("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());

    const std::vector<std::string> names{"half 0 (t < 3pi)", "half 1"};
    write_scatter(flags.out / "z.png", flags.out / "z.csv", z, tensor<std::int32_t, cpu>::from_host({4000}, test_labels),
                  scatter_options{}.title("CSVAE: test points on z").x_label("z_0").y_label("z_1").label_names(names));
    write_scatter(flags.out / "w.png", flags.out / "w.csv", w, tensor<std::int32_t, cpu>::from_host({4000}, test_labels),
                  scatter_options{}.title("CSVAE: test points on w").x_label("w_0").y_label("w_1").label_names(names));
    write_scatter(flags.out / "z_noadv.png", flags.out / "z_noadv.csv", z_noadv,
                  tensor<std::int32_t, cpu>::from_host({4000}, test_labels),
                  scatter_options{}.title("CSVAE without adversary: z").x_label("z_0").y_label("z_1").label_names(names));

    examples::write_model_outputs(main_model, flags.out, encode_dataset(main_model, test_set.data, r.test_ids), {"half"});

    examples::finish(m, flags.out);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
