// ccvae_shapes: seed 002's measures of how well a model isolates each label's characteristics,
// on the procedural shapes (data/shapes.hpp) read as a multi-label problem, for CCVAE and its
// baselines M2, MVAE and the modified DIVA (MODELS.md §5–6).
//
// Four binary labels, each a rule on one generative factor, so that a label's characteristic is
// a visible property of the image and the factors no rule reads (orientation, square vs ellipse,
// the finer scale and position) are its free content:
//   heart  shape == heart      large  scale ≥ 3 of 6      right  pos_x ≥ 8 of 16      low  pos_y ≥ 8 of 16
// A separately trained multi-label judge (eval/label_judge.hpp) reads log p(y_j = 1 | image).
// Per model, on the first --eval test images:
//   - the single-intervention confusion matrix (seed 002 §D.1): C[i][j] = mean |Δ log p_j| when
//     label i is flipped (models/characteristics.hpp flip_label) against the model's own
//     reconstruction with its predicted labels (reconstruct_with_labels), and its condition number;
//   - the characteristic-swap log-probability difference (seed 002 Table 2): the mean over pairs
//     (a, b) of |log p(y_a | swap(a → b)) − log p(y_a | a)|, y_a a's true labels;
//   - q(y|x)'s accuracy per label, averaged.
// CCVAE and DIVA have z_c of one dim per label and z_\c of --z-dim dims; M2 and MVAE one block z
// of 4 + --z-dim dims, so that every model has as many latents.
//
//   ccvae_shapes --out DIR [--epochs N] [--batch N] [--lr X] [--seed N] [--quick] [--resume]
//                [--device cpu|cuda] [--models ccvae,m2,mvae,diva] [--supervision f] [--z-dim N]
//                [--train N] [--eval N] [--networks mlp|conv]
//
// Writes to --out: metrics.json (swap_logprob_diff_<model>, intervention_cond_number_<model>,
// test_accuracy_<model>, judge_accuracy, and the settings), confusion_<model>.csv (the matrix,
// rows = label flipped, columns = label read), swap_<model>.png (a's characteristics, rows, on
// b's content, columns), interventions_<model>.png (inputs, their reconstruction, each label
// flipped), latents.csv and model.safetensors of CCVAE, and each trainer's checkpoint under
// checkpoints/<model>.
#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <latent/data/samplers.hpp>
#include <latent/data/shapes.hpp>
#include <latent/eval/interventions.hpp>
#include <latent/eval/label_judge.hpp>
#include <latent/io/csv.hpp>
#include <latent/io/json.hpp>
#include <latent/io/png.hpp>
#include <latent/models/ccvae.hpp>
#include <latent/models/characteristics.hpp>
#include <latent/models/diva.hpp>
#include <latent/models/m2.hpp>
#include <latent/models/mvae.hpp>
#include <latent/models/networks.hpp>
#include <latent/train/trainer.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace latent;

namespace {

constexpr std::int64_t labels = 4, side = 28, pixels = side * side;
const std::vector<std::string> model_names{"ccvae", "m2", "mvae", "diva"};
const std::vector<std::string> label_names{"heart", "large", "right", "low"};

/// The shapes with the four binary labels, every factor combination.
data::shapes labelled_shapes() {
    using data::shape_factor;
    using data::shape_label;
    return data::shapes(data::shapes_options{}.labels(
                            {shape_label::equals(shape_factor::shape, static_cast<int>(data::shape_kind::heart), "heart"),
                             shape_label::at_least(shape_factor::scale, 3, "large"),
                             shape_label::at_least(shape_factor::pos_x, 8, "right"),
                             shape_label::at_least(shape_factor::pos_y, 8, "low")}),
                        data::shapes_part::all);
}

/// What the command line asks for beyond the common flags.
struct shapes_config {
    common_flags flags;
    std::vector<std::string> models;
    double supervision = 1.0;
    std::int64_t z_dim = 6, train_size = 30000, eval_size = 1000;
    std::string networks = "mlp";
};

using examples::host;
using examples::on;

template <backend B>
void train_and_report(const shapes_config& c);

void run(int argc, char** argv) {
    shapes_config c;
    c.flags.epochs = 5;
    c.flags.batch = 128;
    c.flags.lr = 1e-3;
    c.flags.out = "out/ccvae_shapes";
    std::string models = "ccvae,m2,mvae,diva";
    flag_parser("ccvae_shapes",
                "CCVAE, M2, MVAE and DIVA on the shapes' four binary labels: single-intervention confusion matrices "
                "and characteristic-swap log-probability differences under a pre-trained classifier")
        .add_common(c.flags)
        .option("--models", models, "which of ccvae,m2,mvae,diva to train and measure (the judge always is)")
        .option("--supervision", c.supervision, "fraction f of the training labels kept (the rest are hidden)")
        .option("--z-dim", c.z_dim, "size of z_\\c (M2 and MVAE: z has 4 more)", 1)
        .option("--train", c.train_size, "training images, a seeded sample of the 92 160", 100)
        .option("--eval", c.eval_size, "test images measured per model", 10)
        .option("--networks", c.networks, "mlp (512-256 perceptrons) or conv (the 28×28 convolutional stack)")
        .parse(argc, argv);
    LATENT_CHECK(c.supervision > 0 && c.supervision <= 1, config_error, "--supervision: ", c.supervision,
                 " is not in (0, 1]");
    LATENT_CHECK(c.networks == "conv" || c.networks == "mlp", config_error, "--networks: '", c.networks,
                 "' (known: conv, mlp)");
    LATENT_CHECK(c.train_size + c.eval_size <= 92160, config_error, "--train ", c.train_size, " and --eval ",
                 c.eval_size, " images are more than the 92 160 shapes");
    c.models = examples::parse_models(models, model_names);
    if (c.flags.quick) {
        c.flags.epochs = std::min(c.flags.epochs, 2);
        c.train_size = std::min<std::int64_t>(c.train_size, 6000);
        c.eval_size = std::min<std::int64_t>(c.eval_size, 200);
    }
    examples::run_on_device(c.flags.device, "ccvae_shapes", [&]<backend B>() { train_and_report<B>(c); });
}

/// Fraction of label values q(y|x) gets right, over the images and the labels.
double label_accuracy(const tensor<std::int32_t, cpu>& predicted, const tensor<std::int32_t, cpu>& truth) {
    const auto p = predicted.to_vector(), t = truth.to_vector();
    std::int64_t right = 0;
    for (std::size_t k = 0; k < p.size(); ++k) right += p[k] == t[k];
    return p.empty() ? 0.0 : double(right) / double(p.size());
}

std::vector<double> as_doubles(const tensor<float, cpu>& t) {
    const auto v = t.to_vector();
    return {v.begin(), v.end()};
}

/// Everything measured for one model, in `m` (metrics) and the figures under `out`.
template <class Model, backend B>
void measure(Model& model, const std::string& name, eval::label_judge<B>& judge, const data::batch<float, cpu>& test,
             const std::filesystem::path& out, std::uint64_t seed, metrics& m) {
    const std::int64_t n = test.x.shape()[0];
    const auto x = on<B>(test.x);

    // q(y|x)'s labels, classified once (100 draws of z_c for CCVAE and DIVA) and read by every
    // intervention and swap below.
    const auto predicted = predict_labels(model, x, 100, seed);
    m.set("test_accuracy_" + name, label_accuracy(host(predicted), test.y));

    // Single interventions: every label flipped in turn, against the reconstruction.
    const std::vector<double> base = as_doubles(judge.log_probabilities(reconstruct_with_labels(model, x, predicted)));
    std::vector<std::vector<double>> moved;
    std::vector<tensor<float, cpu>> flipped;
    for (std::int64_t i = 0; i < labels; ++i) {
        flipped.push_back(host(flip_label(model, x, i, predicted)));
        moved.push_back(as_doubles(judge.log_probabilities(on<B>(flipped.back()))));
    }
    const eval::matrix confusion = eval::intervention_confusion(base, moved, n, labels);
    m.set("intervention_cond_number_" + name, eval::condition_number(confusion));
    {
        std::ofstream csv(out / ("confusion_" + name + ".csv"));
        csv << "flipped";
        for (const auto& l : label_names) csv << ',' << l;
        csv << '\n';
        for (std::int64_t i = 0; i < labels; ++i) {
            csv << label_names[static_cast<std::size_t>(i)];
            for (std::int64_t j = 0; j < labels; ++j) csv << ',' << confusion(i, j);
            csv << '\n';
        }
        LATENT_CHECK(csv.good(), io_error, "ccvae_shapes: could not write ", (out / ("confusion_" + name + ".csv")).string());
    }

    // Characteristic swaps: a = test image k, b = test image (k + n/2) mod n.
    std::vector<float> b_values;
    std::vector<std::int32_t> b_predicted;
    const auto xs = test.x.to_vector();
    const auto predicted_values = host(predicted).to_vector();
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t j = (k + n / 2) % n;
        b_values.insert(b_values.end(), xs.begin() + j * pixels, xs.begin() + (j + 1) * pixels);
        b_predicted.insert(b_predicted.end(), predicted_values.begin() + j * labels,
                           predicted_values.begin() + (j + 1) * labels);
    }
    const tensor<float, cpu> b = tensor<float, cpu>::from_host(test.x.shape(), b_values);
    const tensor<float, cpu> swapped = host(characteristic_swap(
        model, x, on<B>(b), predicted, on<B>(tensor<std::int32_t, cpu>::from_host({n, labels}, b_predicted))));
    const std::vector<double> before = as_doubles(judge.log_probabilities(x));
    const std::vector<double> after = as_doubles(judge.log_probabilities(on<B>(swapped)));
    const auto y = test.y.to_vector();
    m.set("swap_logprob_diff_" + name,
          eval::swap_logprob_difference(before, after, std::vector<int>(y.begin(), y.end()), n, labels));

    // swap_<model>.png: cell (i, j) is test image i's characteristics on test image 6 + j.
    examples::write_swap_grid(
        out / ("swap_" + name + ".png"), std::vector<float>(xs.begin(), xs.begin() + 6 * pixels),
        std::vector<float>(xs.begin() + 6 * pixels, xs.begin() + 12 * pixels), 6, side,
        [&](const tensor<float, cpu>& a, const tensor<float, cpu>& b) {
            return host(characteristic_swap(model, on<B>(a), on<B>(b), "c", 100, seed));
        },
        name + ": characteristics of rows on columns");

    // interventions_<model>.png: per input, the input, its reconstruction and each label flipped.
    {
        const std::int64_t shown = std::min<std::int64_t>(8, n);
        const auto recon = host(reconstruct_with_labels(model, on<B>(test.x.rows(0, shown).clone()),
                                                         predicted.rows(0, shown).clone()))
                               .to_vector();
        std::vector<float> cells;
        std::vector<std::vector<float>> each;
        for (const auto& f : flipped) each.push_back(f.to_vector());
        for (std::int64_t i = 0; i < shown; ++i) {
            cells.insert(cells.end(), xs.begin() + i * pixels, xs.begin() + (i + 1) * pixels);
            cells.insert(cells.end(), recon.begin() + i * pixels, recon.begin() + (i + 1) * pixels);
            for (const auto& f : each) cells.insert(cells.end(), f.begin() + i * pixels, f.begin() + (i + 1) * pixels);
        }
        std::vector<std::string> columns{"input", "recon"};
        for (const auto& l : label_names) columns.push_back("flip " + l);
        write_grid_png(out / ("interventions_" + name + ".png"), cells, shown * (labels + 2), 1, side, side,
                       static_cast<int>(shown), static_cast<int>(labels + 2),
                       grid_options{}.scale(2).column_labels(columns).title(name + ": single interventions"));
    }
}

/// Trains the chosen models and the judge on backend B (the data stay on the host); writes the
/// metrics and figures.
template <backend B>
void train_and_report(const shapes_config& c) {
    const common_flags& flags = c.flags;
    std::filesystem::create_directories(flags.out);
    const auto began = std::chrono::steady_clock::now();
    const auto since = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };

    // A seeded sample of the grid: the first --train images for training, the next --eval for testing.
    const data::shapes set = labelled_shapes();
    data::index_list order = data::epoch_permutation(set.size(), flags.seed, 0);
    const data::index_list train_ids(order.begin(), order.begin() + c.train_size);
    const data::index_list test_ids(order.begin() + c.train_size, order.begin() + c.train_size + c.eval_size);
    const auto test = data::read_batch<float, cpu>(set, test_ids);
    metrics m;

    // Label frequencies of the training sample: p(y) of CCVAE and DIVA.
    const auto table = data::label_table::of(set);
    std::vector<double> frequencies(labels, 0.0);
    {
        for (const std::int64_t i : train_ids)
            for (std::int64_t j = 0; j < labels; ++j)
                frequencies[static_cast<std::size_t>(j)] += table.values[static_cast<std::size_t>(i * labels + j)];
        for (double& f : frequencies) f /= double(train_ids.size());
    }

    // The judge: a multi-label classifier of real images.
    std::fprintf(stderr, "training the judge\n");
    {
        const auto fit = data::read_batch<float, cpu>(set, train_ids);
        auto judge = eval::train_label_judge(on<B>(fit.x), on<B>(fit.y),
                                             eval::judge_options{}.epochs(flags.quick ? 1 : 2).seed(flags.seed));
        const auto acc = judge.accuracy(on<B>(test.x), test.y);
        double mean_acc = 0;
        for (const double a : acc) mean_acc += a / double(acc.size());
        m.set("judge_accuracy", mean_acc);
        std::fprintf(stderr, "judge accuracy on the test images: %.3f\n", mean_acc);

        const auto nets = c.networks == "conv" ? conv_networks<float, B>(nn::conv_stack_28())
                                               : mlp_networks<float, B>({512, 256});
        const auto layout = set.layout();
        const model_options split_sizes = model_options{}.size("z", c.z_dim);
        const model_options one_block = model_options{}.size("z", labels + c.z_dim);

        const auto fit_model = [&](auto& model, const std::string& name) {
            auto options = trainer_options{}
                               .epochs(flags.epochs)
                               .batch_size(flags.batch)
                               .lr(flags.lr)
                               .seed(flags.seed)
                               .out(flags.out / "checkpoints" / name)
                               .resume(flags.resume);
            if (c.supervision < 1)
                options.supervision(data::supervision_mask(table, train_ids, c.supervision, flags.seed));
            trainer t(model, std::move(options));
            std::fprintf(stderr, "training %s\n", name.c_str());
            const auto t0 = std::chrono::steady_clock::now();
            const auto history = t.fit(set, train_ids);
            if (!history.empty()) {
                std::fprintf(stderr, "%s, last epoch:", name.c_str());
                for (const auto& [term, v] : history.back().terms) std::fprintf(stderr, " %s %.3f", term.c_str(), v);
                std::fprintf(stderr, "\n");
            }
            m.set("train_seconds_" + name, since(t0));
            measure(model, name, judge, test, flags.out, flags.seed, m);
            std::fprintf(stderr, "%s: swap difference %.3f, condition number %.2f, accuracy %.3f\n", name.c_str(),
                         m.get("swap_logprob_diff_" + name), m.get("intervention_cond_number_" + name),
                         m.get("test_accuracy_" + name));
        };
        for (const auto& name : c.models) {
            if (name == "ccvae") {
                auto model = ccvae<bernoulli_likelihood>::build(B{}, layout, nets, split_sizes, flags.seed);
                model.objective_impl().set_label_prior(frequencies);
                fit_model(model, name);
                examples::write_model_outputs(model, flags.out, encode_dataset(model, set, test_ids), label_names);
            } else if (name == "diva") {
                auto model = diva<bernoulli_likelihood>::build(B{}, layout, nets, split_sizes, flags.seed);
                model.objective_impl().set_label_prior(frequencies);
                fit_model(model, name);
            } else if (name == "m2") {
                auto model = m2<>::build(B{}, layout, nets, one_block, flags.seed);
                fit_model(model, name);
            } else {
                auto model = mvae<>::build(B{}, layout, nets, one_block, flags.seed);
                fit_model(model, name);
            }
        }
    }

    m.set("supervision", c.supervision);
    m.set("epochs", double(flags.epochs));
    m.set("train_images", double(c.train_size));
    m.set("eval_images", double(c.eval_size));
    m.set("seconds", since(began));
    examples::finish(m, flags.out);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
