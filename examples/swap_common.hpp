// examples/swap_common.hpp: what swap_fashion and swap_shapes do alike with the swap model
// (MODELS.md §7, seed 003).
//
// swap_config and add_swap_flags: the model's and the training's settings, from the command
// line. train_swap: Algorithm 1's order (trainer_options::alternating), the discriminator on
// its own optimizer (--d-optimizer: Adam by default, the authors' SGD on request), the ablation
// without one on Adam alone.
// code_errors: seed 003's Table 1, the error of a 2-layer MLP (256 hidden units each) trained
// on one code (z drawn from q(z|x) and at its means; s) to predict the label, early-stopped on a
// validation set.
// swap_sample_of decodes pairs of images once, swapped and not; effects_of_codes and
// swap_labels_of read it: how much each code moves the decoder, and whose class a pixel
// classifier (image_classifier) sees in a swap between two classes.
// write_code_figures: the swapping grid, the interpolation grid, retrieval in s and in z, and
// conditional generation from s, each a PNG in the output folder.
#pragma once

#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/eval/probes.hpp>
#include <latent/models/codes.hpp>
#include <latent/optim/any_optimizer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace examples {

/// The swap model's and its training's settings beyond the common flags; each example may
/// change the defaults before add_swap_flags. The likelihood is the squared error summed over
/// pixels, as the authors' 0.5·MSE; in its units their weights are 2 for the same-label
/// reconstruction (1.0 against 0.5), λ ≈ 16 (0.01 on a mean cross-entropy) and 1.2 for the KL
/// (0.1·6/(C·H·W)). We keep the first two; the KL weight is 20, which is what keeps the class
/// out of z on Fashion-MNIST (docs/models/swap.md, Results). The discriminator trains on Adam at
/// 2e-4: the authors' SGD at 0.01 barely moved it in the first epoch here. Adam's β1 is 0.9
/// here and 0.5 (the authors', DCGAN's) in swap_fashion.
struct swap_config {
    common_flags flags;
    int stop_after = 0;
    std::int64_t z_dim = 16, s_dim = 16;
    double lambda = 16, kl_weight = 20, swap_weight = 2, d_lr = 2e-4, real_target = 0.95, gate = 0, beta1 = 0.9;
    std::string d_optimizer = "adam";
    double time_budget = 0;
};

/// Registers the common flags and swap_config's on `p`.
inline flag_parser& add_swap_flags(flag_parser& p, swap_config& c) {
    return p.add_common(c.flags)
        .option("--stop-after", c.stop_after, "end after this many epochs, as if interrupted (for --resume)", 0)
        .option("--z-dim", c.z_dim, "size of z, the unspecified code", 1)
        .option("--s-dim", c.s_dim, "size of s, the specified code", 1)
        .option("--lambda", c.lambda, "λ, the weight of the adversarial loss in the generator step", 0.0)
        .option("--kl-weight", c.kl_weight, "weight of KL(q(z|x) || N(0, I))", 0.0)
        .option("--swap-weight", c.swap_weight, "weight of the same-label reconstruction Dec(z1, s1')", 0.0)
        .option("--d-optimizer", c.d_optimizer, "the discriminator's optimizer: adam or sgd (the authors')")
        .option("--d-lr", c.d_lr, "the discriminator's learning rate", 0.0)
        .option("--real-target", c.real_target, "the discriminator's target for real images (one-sided smoothing)", 0.0)
        .option("--beta1", c.beta1, "Adam's β1 for every group (the authors' and DCGAN's 0.5)")
        .option("--gate", c.gate, "step the discriminator only while its batch accuracy is below this (0: always)")
        .option("--time-budget", c.time_budget,
                "stop each model's training after the epoch in which this many seconds passed (0: none)");
}

/// Checks what the flag parser cannot: config_error naming the flag.
inline void check_swap_config(const swap_config& c) {
    LATENT_CHECK(c.d_optimizer == "sgd" || c.d_optimizer == "adam", config_error, "--d-optimizer: '", c.d_optimizer,
                 "' (known: sgd, adam)");
    LATENT_CHECK(c.real_target > 0 && c.real_target <= 1, config_error, "--real-target: ", c.real_target,
                 " is not in (0, 1]");
    LATENT_CHECK(c.gate >= 0 && c.gate <= 1, config_error, "--gate: ", c.gate, " is not in [0, 1]");
    LATENT_CHECK(c.beta1 >= 0 && c.beta1 < 1, config_error, "--beta1: ", c.beta1, " is not in [0, 1)");
    LATENT_CHECK(c.time_budget >= 0, config_error, "--time-budget: ", c.time_budget, " is negative (0: none)");
}

/// The model options of --z-dim … --swap-weight, and with `adversary` those of --lambda … --gate.
inline model_options swap_options(const swap_config& c, bool adversary) {
    model_options o = model_options{}
                          .size("z", c.z_dim)
                          .size("s", c.s_dim)
                          .weight("kl.z", c.kl_weight)
                          .weight("swap_recon.s", c.swap_weight);
    if (adversary) o.weight("gan.s", c.lambda).set("gan.s.real_target", c.real_target).set("gan.s.gate", c.gate);
    return o;
}

/// Trains m on `ids` of `train` under the flags: with a discriminator, in Algorithm 1's order
/// and on --d-optimizer; checkpoints under out/checkpoints/<name>. Returns (epochs, seconds).
template <class M, data::source S>
std::pair<int, double> train_swap(M& m, const S& train, const data::index_list& ids, const swap_config& c,
                                  const std::string& name) {
    auto options = trainer_options{}
                       .epochs(c.flags.epochs)
                       .batch_size(c.flags.batch)
                       .lr(c.flags.lr)
                       .seed(c.flags.seed)
                       .out(c.flags.out / "checkpoints" / name)
                       .resume(c.flags.resume)
                       .stop_after(c.stop_after)
                       .time_budget(c.time_budget);
    options.group_optimizer("model", adam_options{}.lr(c.flags.lr).betas(c.beta1, 0.999));
    const auto groups = m.groups();
    if (std::find(groups.begin(), groups.end(), "discriminator") != groups.end())
        options.alternating(true).group_optimizer(
            "discriminator", c.d_optimizer == "adam" ? optimizer_choice{adam_options{}.lr(c.d_lr).betas(c.beta1, 0.999)}
                                                     : optimizer_choice{sgd_options{}.lr(c.d_lr)});
    const auto began = std::chrono::steady_clock::now();
    trainer t(m, std::move(options));
    std::fprintf(stderr, "training %s\n", name.c_str());
    for (const auto& rec : t.fit(train, ids)) {
        std::fprintf(stderr, "%s epoch %d (%.0f s):", name.c_str(), rec.epoch, rec.seconds);
        for (const auto& [term, v] : rec.terms) std::fprintf(stderr, " %s %.3f", term.c_str(), v);
        std::fprintf(stderr, "\n");
    }
    return {t.epoch(), std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()};
}

/// Where a probe learns and stops (indices into the training source) and is scored (into the
/// test source).
struct probe_sets {
    data::index_list train, validation, test;
};

/// Label-prediction error of a probe on one code, on the sets it was trained and tested on.
struct code_error {
    double train = 0, test = 0;
};

/// The errors of probes on z (drawn from q(z|x), and at its means) and on s.
struct code_errors_result {
    code_error z, z_means, s;
};

/// encode_dataset's codes of `ids`, with `segment` drawn once from q(segment | x) instead of
/// at its mean (a generator seeded with `seed`).
template <class M, data::source S>
encoded_set encode_drawn(M& m, const S& src, const data::index_list& ids, std::string_view segment,
                         std::uint64_t seed) {
    using T = typename M::var_type::value_type;
    using B = typename M::var_type::backend_type;
    encoded_set out = encode_dataset(m, src, ids);
    const latent::segment& seg = m.layout()[segment];
    const std::int64_t d = m.layout().total;
    std::vector<float> codes = out.latents.to_vector();
    data::loader<T, B> l(src, ids, data::loader_options{}.batch_size(256).shuffle(false).background(false));
    data::batch<T, B> b;
    generator gen(seed);
    std::int64_t row = 0;
    while (l.next(b)) {
        const auto drawn = m.posterior_normal(b.x, b.y, segment).rsample(gen).value().template as<float>().to_vector();
        const std::int64_t n = b.x.shape()[0];
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t k = 0; k < seg.dim; ++k)
                codes[static_cast<std::size_t>((row + i) * d + seg.offset + k)] =
                    drawn[static_cast<std::size_t>(i * seg.dim + k)];
        row += n;
    }
    out.latents = tensor<float, cpu>::from_host({row, d}, codes);
    return out;
}

/// Encodes `sets` with m and trains, per code, a 2-layer probe of 256 units (Adam, early-stopped
/// on the validation set after `patience` passes without a better accuracy) to predict the
/// label; its error on the training and on the test points. z is probed as drawn from q(z|x),
/// the code the decoder reads, and at its posterior means: a mean carries the class even where
/// the posterior's noise hides it (a near-collapsed coordinate whose mean moves by 0.01 per class
/// under a standard deviation of 1 still separates the classes once standardised), so the means
/// overstate what z holds.
template <class M, data::source S, data::source U>
code_errors_result code_errors(M& m, const S& train_src, const U& test_src, const probe_sets& sets,
                               std::int64_t classes, std::uint64_t seed, int patience = 4) {
    const encoded_set train = encode_drawn(m, train_src, sets.train, "z", seed),
                      validation = encode_drawn(m, train_src, sets.validation, "z", seed + 1),
                      test = encode_drawn(m, test_src, sets.test, "z", seed + 2);
    const encoded_set train_means = encode_dataset(m, train_src, sets.train),
                      validation_means = encode_dataset(m, train_src, sets.validation),
                      test_means = encode_dataset(m, test_src, sets.test);
    const auto probe_on = [&](const encoded_set& tr, const encoded_set& va, const encoded_set& te,
                              const std::string& name, const char* what) {
        const segment& seg = m.layout()[name];
        const eval::host_points train_x(segment_of(tr.latents, seg)), validation_x(segment_of(va.latents, seg)),
            test_x(segment_of(te.latents, seg));
        const eval::host_labels train_y(tr.labels), validation_y(va.labels), test_y(te.labels);
        const eval::validation_set stop{&validation_x, &validation_y, patience};
        eval::probe p = eval::train_probe(
            train_x, train_y, eval::probe_options{}.hidden({256, 256}).epochs(60).classes(classes).seed(seed), &stop);
        const code_error e{1 - p.accuracy(train_x, train_y), 1 - p.accuracy(test_x, test_y)};
        std::fprintf(stderr, "probe on %s: train error %.4f, test error %.4f\n", what, e.train, e.test);
        return e;
    };
    return {probe_on(train, validation, test, "z", "z drawn from q(z|x)"),
            probe_on(train_means, validation_means, test_means, "z", "z's means"),
            probe_on(train_means, validation_means, test_means, "s", "s")};
}

/// Records code_errors' results as z_error_train, z_error_test, z_means_error_train, … ending in `suffix`.
inline void set_code_errors(metrics& m, const code_errors_result& e, const std::string& suffix) {
    m.set("z_error_train" + suffix, e.z.train);
    m.set("z_error_test" + suffix, e.z.test);
    m.set("z_means_error_train" + suffix, e.z_means.train);
    m.set("z_means_error_test" + suffix, e.z_means.test);
    m.set("s_error_train" + suffix, e.s.train);
    m.set("s_error_test" + suffix, e.s.test);
}

/// The error of always answering the most frequent label of `labels` (seed 003's "random chance").
inline double chance_error(const std::vector<std::int32_t>& labels, std::int64_t classes) {
    std::vector<std::int64_t> count(static_cast<std::size_t>(classes), 0);
    for (std::int32_t y : labels) ++count[static_cast<std::size_t>(y)];
    const std::int64_t top = *std::max_element(count.begin(), count.end());
    return 1 - double(top) / double(labels.size());
}

/// Per-pixel mean squared difference between two image sets of the same size.
inline double mse(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
    return sum / double(a.size());
}

/// Pairs of images (a[k], b[k]), a's from one source and b's from another, with what a trained
/// model makes of them, codes at their means: decoded once here for every measure below.
struct swap_sample {
    std::vector<float> a, b;                       // the images, [pairs × features]
    std::vector<std::int32_t> a_labels, b_labels;  // their labels
    std::vector<float> swapped;                    // Dec(z of a, s of b)
    std::vector<float> a_decoded, b_decoded;       // Dec(z of a, s of a), Dec(z of b, s of b)
    std::int64_t features = 0;                     // per image
};

template <backend B, class M, data::source S, data::source T>
swap_sample swap_sample_of(M& m, const S& a_source, const data::index_list& a, const T& b_source,
                           const data::index_list& b) {
    const auto read_a = data::read_batch<float, cpu>(a_source, a), read_b = data::read_batch<float, cpu>(b_source, b);
    const auto xa = on<B>(read_a.x), xb = on<B>(read_b.x);
    const auto decoded = [&](const auto& z_from, const auto& s_from) {
        return host(swap_pairs(m, z_from, s_from, "s")).to_vector();
    };
    return {read_a.x.to_vector(), read_b.x.to_vector(), read_a.y.to_vector(), read_b.y.to_vector(),
            decoded(xa, xb),      decoded(xa, xa),      decoded(xb, xb),      a_source.layout().features()};
}

/// How much the decoder listens to each code.
struct code_effects {
    double z = 0;  // mse between Dec(z of a, s of b) and Dec(z of b, s of b)
    double s = 0;  // mse between Dec(z of a, s of b) and Dec(z of a, s of a)
};

/// code_effects over a sample's pairs. A code the decoder ignores moves its output by about 0:
/// seed 003's ablation, whose "unspecified component is completely ignored".
inline code_effects effects_of_codes(const swap_sample& p) {
    return {mse(p.swapped, p.b_decoded), mse(p.swapped, p.a_decoded)};
}

/// A classifier of `src`'s images: the probe of code_errors (2 layers of 256 units, early-stopped
/// on the validation set) on the pixels. It judges swaps (swap_labels_of); its test error is
/// what the judgement is worth.
template <data::source S, data::source U>
std::pair<eval::probe, double> image_classifier(const S& train_src, const U& test_src, const probe_sets& sets,
                                                std::int64_t classes, std::uint64_t seed, int patience = 4) {
    const auto points = [](const auto& src, const data::index_list& ids) {
        const auto b = data::read_batch<float, cpu>(src, ids);
        return std::pair{eval::host_points(b.x.to_vector(), src.layout().features()), eval::host_labels(b.y)};
    };
    const auto [train_x, train_y] = points(train_src, sets.train);
    const auto [validation_x, validation_y] = points(train_src, sets.validation);
    const auto [test_x, test_y] = points(test_src, sets.test);
    const eval::validation_set stop{&validation_x, &validation_y, patience};
    eval::probe p = eval::train_probe(
        train_x, train_y, eval::probe_options{}.hidden({256, 256}).epochs(60).classes(classes).seed(seed), &stop);
    const double error = 1 - p.accuracy(test_x, test_y);
    std::fprintf(stderr, "image classifier: test error %.4f\n", error);
    return {std::move(p), error};
}

/// Whose label a swap shows: over the pairs (a[k], b[k]) of different labels, the fraction of
/// Dec(z of a, s of b) the classifier takes for b's label (the label follows s, as it should)
/// and for a's (it follows z).
struct swap_labels {
    double follows_s = 0, follows_z = 0;
};

/// swap_labels over a sample's pairs of different labels, judged by `classifier`.
inline swap_labels swap_labels_of(eval::probe& classifier, const swap_sample& p) {
    const std::vector<std::int32_t> said = classifier.predict(eval::host_points(p.swapped, p.features));
    std::int64_t pairs = 0, to_s = 0, to_z = 0;
    for (std::size_t k = 0; k < said.size(); ++k) {
        if (p.a_labels[k] == p.b_labels[k]) continue;
        ++pairs;
        to_s += said[k] == p.b_labels[k];
        to_z += said[k] == p.a_labels[k];
    }
    LATENT_CHECK(pairs > 0, config_error, "swap_labels_of: no pair has two different labels");
    return {double(to_s) / double(pairs), double(to_z) / double(pairs)};
}

/// The figures of a trained swap model, with images of `side`×`side` grey pixels:
///   swap.png           z of the rows with s of the columns (the diagonal: reconstructions)
///   interpolation.png  s from one input to another along the columns, z along the rows
///   retrieval.png      per query, its `k` nearest neighbours in s, then in z, among `database`
///   generation.png     per input, s from it and z drawn from N(0, I)
/// `inputs` holds at least 8 host images [n, 1, side, side]; `database` is encoded from
/// `database_ids` of `src`.
template <backend B, class M, data::source S>
void write_code_figures(M& m, const std::filesystem::path& out, const tensor<float, cpu>& inputs, const S& src,
                        const data::index_list& database_ids, const encoded_set& database, std::int64_t side,
                        std::uint64_t seed) {
    constexpr std::int64_t shown = 8, k = 7;
    const auto pixels = static_cast<std::ptrdiff_t>(side * side);
    const tensor<float, cpu> eight = inputs.rows(0, shown).clone();
    const std::vector<float> images = eight.to_vector();

    write_headed_grid(out / "swap.png", images, images, host(swap_grid(m, on<B>(eight), on<B>(eight), "s")).to_vector(),
                      shown, side, "z of the rows, s of the columns");

    write_grid_png(out / "interpolation.png",
                   host(interpolation_grid(m, on<B>(eight.rows(0, 1).clone()), on<B>(eight.rows(1, 2).clone()), shown, "s")),
                   static_cast<int>(shown), static_cast<int>(shown),
                   grid_options{}.scale(2).title("s along the columns, z along the rows"));

    std::vector<float> cells;
    for (std::int64_t q = 0; q < shown; ++q) {
        cells.insert(cells.end(), images.begin() + q * pixels, images.begin() + (q + 1) * pixels);
        const std::vector<float> code = code_means(m, on<B>(eight.rows(q, q + 1).clone()));
        for (const char* name : {"s", "z"}) {
            data::index_list found;
            for (std::int64_t row : nearest_in_segment(database.latents, code, m.layout()[name], k))
                found.push_back(database_ids[static_cast<std::size_t>(row)]);
            const auto neighbours = data::read_batch<float, cpu>(src, found).x.to_vector();
            cells.insert(cells.end(), neighbours.begin(), neighbours.end());
        }
    }
    std::vector<std::string> columns{"query"};
    for (std::int64_t j = 0; j < k; ++j) columns.push_back("s " + std::to_string(j + 1));
    for (std::int64_t j = 0; j < k; ++j) columns.push_back("z " + std::to_string(j + 1));
    write_grid_png(out / "retrieval.png", cells, shown * (1 + 2 * k), 1, static_cast<int>(side), static_cast<int>(side),
                   static_cast<int>(shown), static_cast<int>(1 + 2 * k),
                   grid_options{}.scale(2).column_labels(columns).title("nearest neighbours in s, then in z"));

    cells.clear();
    for (std::int64_t q = 0; q < shown; ++q) {
        cells.insert(cells.end(), images.begin() + q * pixels, images.begin() + (q + 1) * pixels);
        const auto drawn =
            host(generate_with_code(m, on<B>(eight.rows(q, q + 1).clone()), shown, "s", seed + static_cast<std::uint64_t>(q)))
                .to_vector();
        cells.insert(cells.end(), drawn.begin(), drawn.end());
    }
    write_grid_png(out / "generation.png", cells, shown * (shown + 1), 1, static_cast<int>(side), static_cast<int>(side),
                   static_cast<int>(shown), static_cast<int>(shown + 1),
                   grid_options{}.scale(2).title("s of the first column, z ~ N(0, I)"));
}

}  // namespace examples
