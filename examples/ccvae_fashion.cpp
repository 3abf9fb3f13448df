// ccvae_fashion: CCVAE (MODELS.md §5, seed 002) on Fashion-MNIST's ten classes, or one of its
// baselines M2, MVAE and the modified DIVA (MODELS.md §6) under the same protocol.
//
// The class is one categorical label; z_c ("c") carries it through a learned Normal per class
// and the classifier q(y | z_c), z_\c ("z") the rest. With --supervision f < 1 only a fraction f
// of the training labels is kept (stratified), the others hidden from the trainer, and labelled
// and unlabelled batches alternate (1 : --unlabelled-batches). Scored as seed 002 does: the test
// accuracy of q(y | x) (Table 6), and, beyond the paper, conditional generation judged by a
// classifier trained separately on real images.
//
//   ccvae_fashion --out DIR [--data DIR] [--epochs N] [--batch N] [--lr X] [--seed N] [--quick] [--resume]
//                 [--device cpu|cuda] [--supervision f] [--c-dim N] [--z-dim N] [--samples K]
//                 [--unlabelled-batches N] [--time-budget S] [--networks conv|mlp] [--model ccvae|m2|mvae|diva]
//                 [--clip-grad X]
//
// M2 and MVAE have one latent block z of size c_dim + z_dim, so that every model has as many
// latents; traversal.png and diversity.png need z_c and are written for CCVAE and DIVA only.
//
// Writes to --out: metrics.json (test_accuracy, cond_gen_accuracy, judge_accuracy, supervision,
// epochs, train_seconds, seconds), latents.csv (the first 1000 test images) and model.safetensors,
// the figures generation.png (a row per class), interventions.png (test inputs set to every
// class), traversal.png (each z_c dimension of one input), swap.png (z_c of the rows with z_\c
// of the columns), diversity.png (draws of p(z_c | y) for one input, per class, with the
// per-pixel variance), and the trainer's checkpoint under checkpoints/<model>. Without --out, a
// baseline writes to out/ccvae_fashion_<model>.
#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <latent/data/idx.hpp>
#include <latent/data/samplers.hpp>
#include <latent/eval/switch_accuracy.hpp>
#include <latent/io/json.hpp>
#include <latent/io/png.hpp>
#include <latent/models/ccvae.hpp>
#include <latent/models/characteristics.hpp>
#include <latent/models/diva.hpp>
#include <latent/models/m2.hpp>
#include <latent/models/mvae.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/models/networks.hpp>
#include <latent/train/trainer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

using namespace latent;

namespace {

constexpr std::int32_t classes = 10;
constexpr std::int64_t pixels = 28 * 28;

/// What the command line asks for beyond the common flags.
struct ccvae_config {
    common_flags flags;
    int stop_after = 0;
    double supervision = 1.0;
    std::int64_t c_dim = 16, z_dim = 16, samples = 10;
    int unlabelled_batches = 4;
    double time_budget = 0;
    double clip_grad = -1;  // below 0: the model's default (see run)
    std::string networks = "conv";
    std::string model = "ccvae";
};

/// The models --model names.
enum class semi_model { ccvae, m2, mvae, diva };

using examples::host;
using examples::on;

/// The row-wise argmax of probabilities [n, k].
std::vector<std::int32_t> argmax_rows(const tensor<float, cpu>& p) {
    const auto v = p.to_vector();
    const std::int64_t n = p.rows(), k = p.cols();
    std::vector<std::int32_t> out(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
        const auto row = v.begin() + i * k;
        out[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(std::max_element(row, row + k) - row);
    }
    return out;
}

/// `count` int32 label rows all equal to c.
tensor<std::int32_t, cpu> class_rows(std::int32_t c, std::int64_t count) {
    return examples::label_rows(std::vector<std::int32_t>(static_cast<std::size_t>(count), c));
}

template <semi_model Kind, backend B>
void train_and_report(const ccvae_config& c);

void run(int argc, char** argv) {
    ccvae_config c;
    // Defaults from the runs recorded in docs/models/ccvae.md (Results): 7 epochs reached 0.905
    // with every label; 6 epochs with 6 % of them (1 labelled batch per 4 unlabelled) 0.861.
    c.flags.epochs = 7;
    c.flags.batch = 128;
    c.flags.lr = 1e-3;
    c.flags.out = "out/ccvae_fashion";
    c.flags.data = data::fashion_mnist_default_dir;
    flag_parser("ccvae_fashion", "CCVAE on Fashion-MNIST: q(y|x) accuracy, conditional generation, interventions")
        .add_common(c.flags)
        .option("--stop-after", c.stop_after, "end after this many epochs, as if interrupted (for --resume)", 0)
        .option("--supervision", c.supervision, "fraction f of the training labels kept (the rest are hidden)")
        .option("--c-dim", c.c_dim, "size of z_c, the characteristic segment", 1)
        .option("--z-dim", c.z_dim, "size of z_\\c, the free segment", 1)
        .option("--samples", c.samples, "K, the draws of z_c behind q(y|x) in the supervised bound", 1)
        .option("--unlabelled-batches", c.unlabelled_batches,
                "with f < 1: unlabelled batches after each labelled one (0 mixes them in every batch)", 0)
        .option("--time-budget", c.time_budget, "stop training after the epoch in which this many seconds passed (0: none)")
        .option("--clip-grad", c.clip_grad,
                "clip each step's gradient to this global L2 norm (0: no clipping; default 100 for mvae, 0 for the others)")
        .option("--networks", c.networks, "conv (the 28×28 convolutional stack) or mlp (512-256 perceptrons)")
        .option("--model", c.model, "ccvae, or a baseline: m2, mvae or diva")
        .parse(argc, argv);
    LATENT_CHECK(c.supervision > 0 && c.supervision <= 1, config_error, "--supervision: ", c.supervision,
                 " is not in (0, 1]");
    LATENT_CHECK(c.networks == "conv" || c.networks == "mlp", config_error, "--networks: '", c.networks,
                 "' (known: conv, mlp)");
    LATENT_CHECK(c.model == "ccvae" || c.model == "m2" || c.model == "mvae" || c.model == "diva", config_error,
                 "--model: '", c.model, "' (known: ccvae, m2, mvae, diva)");
    // MVAE's loss jumps within two epochs at lr 1e-3 unless its gradient is clipped
    // (docs/models/mvae.md); the other models train as they are.
    if (c.clip_grad < 0) c.clip_grad = c.model == "mvae" ? 100 : 0;
    if (c.flags.quick) c.flags.epochs = std::min(c.flags.epochs, 2);
    if (c.model != "ccvae" && c.flags.out == "out/ccvae_fashion") c.flags.out = "out/ccvae_fashion_" + c.model;
    examples::run_on_device(c.flags.device, "ccvae_fashion", [&]<backend B>() {
        if (c.model == "m2") train_and_report<semi_model::m2, B>(c);
        else if (c.model == "mvae") train_and_report<semi_model::mvae, B>(c);
        else if (c.model == "diva") train_and_report<semi_model::diva, B>(c);
        else train_and_report<semi_model::ccvae, B>(c);
    });
}

/// The model --model names, on backend B, for Fashion-MNIST's layout.
template <semi_model Kind, backend B>
auto build_model(const ccvae_config& c, const data::example_layout& layout) {
    const auto nets = c.networks == "conv" ? conv_networks<float, B>(nn::conv_stack_28())
                                           : mlp_networks<float, B>({512, 256});
    const std::uint64_t seed = c.flags.seed;
    if constexpr (Kind == semi_model::ccvae)
        return ccvae_categorical<>::build(
            B{}, layout, nets,
            model_options{}.size("c", c.c_dim).size("z", c.z_dim).set("ccvae.samples", static_cast<double>(c.samples)),
            seed);
    else if constexpr (Kind == semi_model::diva)
        return diva_categorical<>::build(B{}, layout, nets, model_options{}.size("c", c.c_dim).size("z", c.z_dim), seed);
    else if constexpr (Kind == semi_model::m2)
        return m2<>::build(B{}, layout, nets, model_options{}.size("z", c.c_dim + c.z_dim), seed);
    else
        return mvae<>::build(B{}, layout, nets, model_options{}.size("z", c.c_dim + c.z_dim), seed);
}

/// Trains the model (and the judge) on backend B, the data staying on the host; writes the metrics and figures.
template <semi_model Kind, backend B>
void train_and_report(const ccvae_config& c) {
    const common_flags& flags = c.flags;
    std::filesystem::create_directories(flags.out);
    const auto began = std::chrono::steady_clock::now();
    const auto since = [](auto t0) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };

    const data::in_memory train_set = data::fashion_mnist(data::split::train, flags.data);
    const data::in_memory test_set = data::fashion_mnist(data::split::test, flags.data);
    data::index_list all = examples::first_n(train_set.size());
    if (flags.quick) all.resize(12000);
    const data::split_indices split = data::stratified_split(
        data::label_table::of(train_set), all, data::split_options{}.fractions(0.9, 0.1, 0.0).seed(flags.seed));
    metrics m;

    // The model. Bernoulli likelihood summed over each image's pixels.
    auto model = build_model<Kind, B>(c, train_set.layout());

    auto options = trainer_options{}
                       .epochs(flags.epochs)
                       .batch_size(flags.batch)
                       .lr(flags.lr)
                       .seed(flags.seed)
                       .out(flags.out / "checkpoints" / c.model)
                       .resume(flags.resume)
                       .stop_after(c.stop_after)
                       .time_budget(c.time_budget)
                       .clip_grad_norm(c.clip_grad);
    if (c.supervision < 1) {
        auto mask = data::supervision_mask(data::label_table::of(train_set), split.train, c.supervision, flags.seed);
        std::int64_t kept = 0;
        for (std::int64_t i : split.train) kept += mask.visible[static_cast<std::size_t>(i)];
        std::fprintf(stderr, "supervision %.3f: %lld of %zu training labels kept\n", c.supervision,
                     static_cast<long long>(kept), split.train.size());
        if (c.unlabelled_batches > 0) options.supervision(std::move(mask), 1, c.unlabelled_batches);
        else options.supervision(std::move(mask));
    }
    const auto train_began = std::chrono::steady_clock::now();
    trainer t(model, std::move(options));
    std::fprintf(stderr, "training %s\n", c.model.c_str());
    const auto history = t.fit(train_set, split.train);
    const double train_seconds = since(train_began);
    for (const auto& rec : history) {
        std::fprintf(stderr, "epoch %d (%.0f s):", rec.epoch, rec.seconds);
        for (const auto& [term, v] : rec.terms) std::fprintf(stderr, " %s %.2f", term.c_str(), v);
        std::fprintf(stderr, "\n");
    }

    // Test accuracy of q(y|x), the argmax of classify over the test split. --quick reads its first
    // 2000 images: the 100-draw classify over all 10 000 was most of a quick run's time.
    const std::int64_t tested = flags.quick ? std::min<std::int64_t>(2000, test_set.size()) : test_set.size();
    const auto test_all = data::read_batch<float, cpu>(test_set, examples::first_n(tested));
    {
        const auto truth = test_all.y.to_vector();
        std::int64_t right = 0;
        for (std::int64_t b = 0; b < tested; b += 1000) {
            const std::int64_t e = std::min<std::int64_t>(tested, b + 1000);
            const auto predicted = argmax_rows(host(classify(model, on<B>(test_all.x.rows(b, e)), 100, flags.seed)));
            for (std::int64_t i = b; i < e; ++i)
                right += predicted[static_cast<std::size_t>(i - b)] == truth[static_cast<std::size_t>(i)];
        }
        m.set("test_accuracy", double(right) / double(tested));
        m.set("test_images", double(tested));
    }

    // The judge: a classifier of real images, trained separately.
    std::fprintf(stderr, "training the judge\n");
    const auto train_batch = data::read_batch<float, cpu>(train_set, split.train);
    auto judge = eval::train_judge(on<B>(train_batch.x), on<B>(train_batch.y.reshape({train_batch.y.rows()})),
                                   eval::judge_options{}.epochs(flags.quick ? 1 : 3).seed(flags.seed));
    {
        const auto predicted = judge(on<B>(test_all.x));
        const auto truth = test_all.y.to_vector();
        std::int64_t right = 0;
        for (std::size_t i = 0; i < truth.size(); ++i) right += predicted[i] == truth[i];
        m.set("judge_accuracy", double(right) / double(truth.size()));
    }

    // Conditional generation: 100 images per class from p(z_c | y) p(z_\c), judged.
    const std::int64_t per_class = 100;
    std::vector<std::int32_t> wanted;
    for (std::int32_t k = 0; k < classes; ++k) wanted.insert(wanted.end(), per_class, k);
    const tensor<float, cpu> generated = host(generate_with_labels(model, on<B>(examples::label_rows(wanted)), flags.seed));
    m.set("cond_gen_accuracy",
          eval::switch_accuracy_from_predictions(judge(on<B>(generated)), wanted, classes).overall);

    std::vector<std::string> class_names;
    for (std::int32_t k = 0; k < classes; ++k) class_names.emplace_back(data::fashion_mnist_classes[k]);
    const auto view = [](const tensor<float, cpu>& t) { return t.to_vector(); };
    const auto append = [](std::vector<float>& cells, const std::vector<float>& images, std::int64_t from,
                           std::int64_t count) {
        cells.insert(cells.end(), images.begin() + from * pixels, images.begin() + (from + count) * pixels);
    };

    // generation.png: the first 10 of each class's images, a row per class.
    {
        std::vector<float> cells;
        const auto images = view(generated);
        for (std::int32_t k = 0; k < classes; ++k) append(cells, images, k * per_class, 10);
        write_grid_png(flags.out / "generation.png", cells, classes * 10, 1, 28, 28, classes, 10,
                       grid_options{}.scale(2).row_labels(class_names).title("conditional generation"));
    }

    // interventions.png: test inputs (rows), each with z_c moved to every class's prior mean.
    const std::int64_t shown = 8;
    {
        std::vector<float> cells;
        const auto inputs = view(test_all.x.rows(0, shown));
        for (std::int64_t i = 0; i < shown; ++i) {
            append(cells, inputs, i, 1);
            std::vector<std::int32_t> targets(classes);
            for (std::int32_t k = 0; k < classes; ++k) targets[static_cast<std::size_t>(k)] = k;
            std::vector<float> x;
            for (std::int32_t k = 0; k < classes; ++k) append(x, inputs, i, 1);
            const auto switched = host(intervene(
                model, on<B>(tensor<float, cpu>::from_host({classes, 1, 28, 28}, x)), on<B>(examples::label_rows(targets))));
            append(cells, view(switched), 0, classes);
        }
        std::vector<std::string> columns{"input"};
        columns.insert(columns.end(), class_names.begin(), class_names.end());
        write_grid_png(flags.out / "interventions.png", cells, shown * (classes + 1), 1, 28, 28,
                       static_cast<int>(shown), classes + 1,
                       grid_options{}.scale(2).column_labels(columns).title("single interventions"));
    }

    // traversal.png: each dimension of z_c of one test input, across the span of the class means ± 1.
    if constexpr (characteristic_model<decltype(model)>) {
        std::vector<std::int32_t> each(classes);
        for (std::int32_t k = 0; k < classes; ++k) each[static_cast<std::size_t>(k)] = k;
        const auto means = host(model.prior_normal("c", on<B>(examples::label_rows(each))).loc.value()).to_vector();
        const int steps = 9;
        std::vector<float> cells;
        std::vector<std::string> rows;
        for (std::int64_t d = 0; d < c.c_dim; ++d) {
            double lo = means[static_cast<std::size_t>(d)], hi = lo;
            for (std::int32_t k = 0; k < classes; ++k) {
                lo = std::min<double>(lo, means[static_cast<std::size_t>(k * c.c_dim + d)]);
                hi = std::max<double>(hi, means[static_cast<std::size_t>(k * c.c_dim + d)]);
            }
            std::vector<double> values;
            for (int j = 0; j < steps; ++j) values.push_back(lo - 1 + (hi - lo + 2) * j / (steps - 1));
            append(cells, view(host(traverse_characteristic(model, on<B>(test_all.x.rows(0, 1)), d, values))), 0, steps);
            rows.push_back("z_c " + std::to_string(d));
        }
        write_grid_png(flags.out / "traversal.png", cells, c.c_dim * steps, 1, 28, 28, static_cast<int>(c.c_dim), steps,
                       grid_options{}.scale(2).row_labels(rows).title("traversal of z_c"));
    }

    // swap.png: the first row and column show the inputs; cell (i, j) is z_c of input i with z_\c of input j.
    {
        const auto inputs = view(test_all.x.rows(10, 16));
        examples::write_swap_grid(
            flags.out / "swap.png", inputs, inputs, 6, 28,
            [&](const tensor<float, cpu>& a, const tensor<float, cpu>& b) {
                return host(characteristic_swap(model, on<B>(a), on<B>(b), "c", 100, flags.seed));
            },
            "z_c of rows, z_\\c of columns");
    }

    // diversity.png: one test input, per class 8 decodes with z_c ~ p(z_c | y) and the per-pixel
    // variance over 64 draws (scaled so that the row's largest variance is white).
    if constexpr (characteristic_model<decltype(model)>) {
        const std::int64_t draws = 64, drawn_shown = 8;
        const auto input = view(test_all.x.rows(0, 1));
        std::vector<float> cells;
        for (std::int32_t k = 0; k < classes; ++k) {
            const auto d = intervention_diversity(model, on<B>(test_all.x.rows(0, 1)), on<B>(class_rows(k, 1)), draws,
                                                  flags.seed + static_cast<std::uint64_t>(k));
            append(cells, input, 0, 1);
            append(cells, view(host(d.images)), 0, drawn_shown);
            auto variance = view(host(d.variance));
            const float top = std::max(*std::max_element(variance.begin(), variance.end()), 1e-12f);
            for (float& v : variance) v /= top;
            cells.insert(cells.end(), variance.begin(), variance.end());
        }
        std::vector<std::string> columns{"input"};
        for (std::int64_t j = 0; j < drawn_shown; ++j) columns.push_back("draw " + std::to_string(j + 1));
        columns.emplace_back("variance");
        write_grid_png(flags.out / "diversity.png", cells, classes * (drawn_shown + 2), 1, 28, 28, classes,
                       static_cast<int>(drawn_shown + 2),
                       grid_options{}.scale(2).row_labels(class_names).column_labels(columns).title(
                           "intervention diversity"));
    }

    examples::write_model_outputs(model, flags.out, encode_dataset(model, test_set, examples::first_n(1000)),
                                  {"class"});

    m.set("supervision", c.supervision);
    m.set("epochs", double(t.epoch()));
    m.set("train_seconds", train_seconds);
    m.set("seconds", since(began));
    examples::finish(m, flags.out);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
