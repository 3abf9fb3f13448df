// disentangle_shapes: VAE, β-VAE, β-TCVAE and the triplet VAE on the procedural shapes at 28×28
// (data/shapes.hpp), scored against the known generative factors (MODELS.md §1, §8, §9; seed 004).
//
// Every model has a 10-dim Gaussian z under N(0, I), the same perceptrons (512-256) and Bernoulli
// likelihood, and the same budget: --epochs (25), or --time-budget seconds if that ends first (0,
// the default, leaves the epochs alone, so that a run's figures do not depend on the machine's load):
//   vae         the ELBO
//   beta_vae    KL weight β (--beta, default 2)
//   beta_tcvae  the KL split into MI + β·TC + dwKL (--tc-beta, default 3; --estimator mss (default)
//               or mws: at N = 92 160 and a batch of 128, MWS's log q(z) is all but the code's
//               own posterior density less a constant, which leaves the TC term nearly flat)
//   triplet     the ELBO plus λ·mean −log p(triplet) (--triplet-weight, default 100): one query per factor of
//               shape, scale, pos_x and pos_y, each owning --mask-dims dims of z (--masks fixed),
//               or soft masks learned over all of z (--masks learned)
// On --eval images drawn from the training distribution (posterior means), against the five
// factors (orientation included, as Chen et al. do): MIG with 20 bins (eval/disentanglement.hpp),
// the FactorVAE score (eval/factorvae_score.hpp), DCI disentanglement with the lasso
// (eval/dci.hpp), and the reconstruction error −log p(x | mean of z) per image. For the triplet
// VAE, each query's triplet accuracy in its own masked subspace and in the other queries'.
//
//   disentangle_shapes --out DIR [--epochs N] [--batch N] [--lr X] [--seed N] [--quick] [--resume]
//                      [--device cpu|cuda] [--models vae,beta_vae,beta_tcvae,triplet] [--z-dim N]
//                      [--time-budget S] [--beta X] [--tc-beta X] [--estimator mws|mss]
//                      [--triplet-weight X] [--mask-dims N] [--masks fixed|learned] [--eval N]
//
// Writes to --out: metrics.json (mig_<model>, factorvae_<model>, dci_<model>, recon_<model>,
// dci_completeness_<model>, epochs_<model>, train_seconds_<model>, triplet_acc_own_<query>,
// triplet_acc_other_<query>, seconds), table.md (the metric table, as docs/results.md shows it),
// traversal_<model>.png (a row per latent dim, each swept over ±2.5 from one image's code),
// triplet_<query>.png (the query's two strongest dims, coloured by its factor), and checkpoints
// under checkpoints/<model>.
#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <latent/data/samplers.hpp>
#include <latent/data/shapes.hpp>
#include <latent/data/triplets.hpp>
#include <latent/eval/dci.hpp>
#include <latent/eval/disentanglement.hpp>
#include <latent/eval/factorvae_score.hpp>
#include <latent/eval/triplet_accuracy.hpp>
#include <latent/io/atomic_file.hpp>
#include <latent/io/plot.hpp>
#include <latent/io/png.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/models/networks.hpp>
#include <latent/models/tcvae.hpp>
#include <latent/models/triplet_vae.hpp>
#include <latent/models/vae.hpp>
#include <latent/train/trainer.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace latent;

namespace {

constexpr std::int64_t side = 28, pixels = side * side;
const std::vector<std::string> model_names{"vae", "beta_vae", "beta_tcvae", "triplet"};
/// The queries of the triplet VAE: one per factor that the pixels identify (orientation is not,
/// for the symmetric shapes), in the order of the label columns.
const std::vector<data::shape_factor> query_factors{data::shape_factor::shape, data::shape_factor::scale,
                                                    data::shape_factor::pos_x, data::shape_factor::pos_y};

struct config {
    common_flags flags;
    std::vector<std::string> models;
    std::int64_t z_dim = 10, eval_size = 10000, mask_dims = 2;
    // β and the TC weight give the two about the same reconstruction error (docs/models/tcvae.md).
    double time_budget = 0, beta = 2, tc_beta = 3, triplet_weight = 100;
    std::string estimator = "mss", masks = "fixed";
};

using examples::host;
using examples::on;

template <backend B>
void train_and_report(const config& c);

void run(int argc, char** argv) {
    config c;
    c.flags.epochs = 25;
    c.flags.batch = 128;
    c.flags.lr = 1e-3;
    c.flags.out = "out/disentangle_shapes";
    std::string models = "vae,beta_vae,beta_tcvae,triplet";
    flag_parser("disentangle_shapes",
                "VAE, beta-VAE, beta-TCVAE and the triplet VAE on the 28x28 shapes with one budget: MIG, FactorVAE "
                "score, DCI disentanglement, reconstruction error and per-query triplet accuracy")
        .add_common(c.flags)
        .option("--models", models, "which of vae,beta_vae,beta_tcvae,triplet to train and measure")
        .option("--z-dim", c.z_dim, "size of z", 1)
        .option("--time-budget", c.time_budget, "seconds of training per model (0: only --epochs)", -1e-300)
        .option("--beta", c.beta, "beta-VAE's KL weight", 0)
        .option("--tc-beta", c.tc_beta, "beta-TCVAE's total-correlation weight", 0)
        .option("--estimator", c.estimator, "beta-TCVAE's estimator of log q(z): mws or mss")
        .option("--triplet-weight", c.triplet_weight, "the triplet VAE's weight of its triplet term", 0)
        .option("--mask-dims", c.mask_dims, "dims of z each query owns (fixed masks)", 1)
        .option("--masks", c.masks, "the triplet VAE's masks: fixed (disjoint blocks) or learned (soft)")
        .option("--eval", c.eval_size, "images the metrics are computed on", 100)
        .parse(argc, argv);
    LATENT_CHECK(c.estimator == "mws" || c.estimator == "mss", config_error, "--estimator: '", c.estimator,
                 "' (known: mws, mss)");
    LATENT_CHECK(c.masks == "fixed" || c.masks == "learned", config_error, "--masks: '", c.masks,
                 "' (known: fixed, learned)");
    const auto queries = static_cast<std::int64_t>(query_factors.size());
    LATENT_CHECK(c.masks == "learned" || queries * c.mask_dims <= c.z_dim, config_error, "--mask-dims ", c.mask_dims,
                 " for ", queries, " queries needs --z-dim ", queries * c.mask_dims, " at least, not ", c.z_dim);
    LATENT_CHECK(c.eval_size <= 92160, config_error, "--eval ", c.eval_size, " is more than the 92 160 shapes");
    c.models = examples::parse_models(models, model_names);
    if (c.flags.quick) {
        c.flags.epochs = std::min(c.flags.epochs, 3);
        c.eval_size = std::min<std::int64_t>(c.eval_size, 2000);
    }
    examples::run_on_device(c.flags.device, "disentangle_shapes", [&]<backend B>() { train_and_report<B>(c); });
}

/// The shapes with the four queried factors' values as labels (the triplet VAE reads them; the
/// other models ignore labels).
data::shapes factor_shapes() {
    return data::shapes(data::shapes_options{}.factor_labels(query_factors), data::shapes_part::all);
}

/// The five factors of `ids`, [n, 5] on the host.
eval::host_labels all_factors(const data::shapes& set, const data::index_list& ids) {
    std::vector<std::int32_t> v;
    for (const std::int64_t i : ids) {
        data::shape_factors f = set.factors_of(i);
        for (int k = 0; k < data::shape_factor_count; ++k) v.push_back(f[static_cast<data::shape_factor>(k)]);
    }
    return eval::host_labels(v, data::shape_factor_count);
}

/// −log p(x | z = posterior mean) per image under the Bernoulli likelihood, averaged over `x`;
/// `codes` are x's posterior means, so the images are not encoded a second time.
template <class Model, backend B>
double reconstruction_error(Model& model, const data::batch<float, cpu>& x, const tensor<float, cpu>& codes) {
    const std::int64_t n = x.x.shape()[0], chunk = 500;
    const auto xs = x.x.to_vector();
    double total = 0;
    for (std::int64_t at = 0; at < n; at += chunk) {
        const std::int64_t k = std::min(chunk, n - at);
        const auto yb = on<B>(x.y.rows(at, at + k).clone());
        const auto mean = host(model.decode(on<B>(codes.rows(at, at + k).clone()), yb)).to_vector();
        for (std::size_t e = 0; e < mean.size(); ++e) {
            const double p = std::clamp<double>(mean[e], 1e-6, 1 - 1e-6), t = xs[static_cast<std::size_t>(at * pixels) + e];
            total -= t * std::log(p) + (1 - t) * std::log1p(-p);
        }
    }
    return total / double(n);
}

/// traversal_<name>.png: row d sweeps z_d over ±2.5 from the code of the first evaluation image.
template <class Model, backend B>
void write_traversal(Model& model, const tensor<float, cpu>& codes, const data::batch<float, cpu>& eval_set,
                     const std::vector<std::string>& row_names, const std::filesystem::path& path,
                     const std::string& title) {
    const std::int64_t d = codes.cols(), steps = 9;
    const auto base = codes.rows(0, 1).to_vector();
    std::vector<float> latents;
    std::vector<std::string> columns;
    for (std::int64_t s = 0; s < steps; ++s) {
        char text[16];
        std::snprintf(text, sizeof text, "%+.2g", -2.5 + 5.0 * double(s) / double(steps - 1));
        columns.emplace_back(text);
    }
    for (std::int64_t row = 0; row < d; ++row)
        for (std::int64_t s = 0; s < steps; ++s) {
            std::vector<float> z = base;
            z[static_cast<std::size_t>(row)] = static_cast<float>(-2.5 + 5.0 * double(s) / double(steps - 1));
            latents.insert(latents.end(), z.begin(), z.end());
        }
    const std::int64_t n = d * steps;
    std::vector<std::int32_t> labels;
    const auto y0 = eval_set.y.rows(0, 1).to_vector();
    for (std::int64_t i = 0; i < n; ++i) labels.insert(labels.end(), y0.begin(), y0.end());
    const auto images = host(model.decode(on<B>(tensor<float, cpu>::from_host({n, d}, latents)),
                                          on<B>(tensor<std::int32_t, cpu>::from_host({n, eval_set.y.cols()}, labels))));
    write_grid_png(path, images, static_cast<int>(d), static_cast<int>(steps),
                   grid_options{}.scale(2).row_labels(row_names).column_labels(columns).title(title));
}

/// The images the metrics read, rendered once (as a batch and as a source to encode), and all
/// five factors of each.
struct evaluation {
    data::batch<float, cpu> images;
    data::in_memory rendered;
    eval::host_labels factors;
};

/// Everything measured for one model; returns its codes of the evaluation images.
template <backend B, class Model>
tensor<float, cpu> measure(Model& model, const std::string& name, const config& c, const evaluation& e,
                           const std::vector<std::string>& row_names, metrics& m) {
    const tensor<float, cpu> codes = encode_dataset(model, e.rendered, examples::first_n(e.rendered.size()), 500).latents;
    const eval::host_points points(codes);
    m.set("mig_" + name, eval::mutual_information_gap(points, e.factors, 20).mig);
    auto votes = eval::factorvae_options{}.seed(c.flags.seed);
    if (c.flags.quick) votes.train_votes(1000).eval_votes(500);
    m.set("factorvae_" + name, eval::factorvae_score(points, e.factors, votes).score);
    const eval::dci_report d = eval::dci(points, e.factors);
    m.set("dci_" + name, d.disentanglement);
    m.set("dci_completeness_" + name, d.completeness);
    m.set("recon_" + name, reconstruction_error<Model, B>(model, e.images, codes));
    write_traversal<Model, B>(model, codes, e.images, row_names, c.flags.out / ("traversal_" + name + ".png"),
                              name + ": each latent swept over +-2.5");
    std::fprintf(stderr, "%s: MIG %.3f, FactorVAE %.3f, DCI %.3f, recon %.2f\n", name.c_str(), m.get("mig_" + name),
                 m.get("factorvae_" + name), m.get("dci_" + name), m.get("recon_" + name));
    return codes;
}

/// "z<d>" for each latent dim.
std::vector<std::string> plain_rows(std::int64_t d) {
    std::vector<std::string> out;
    for (std::int64_t k = 0; k < d; ++k) out.push_back("z" + std::to_string(k));
    return out;
}

/// The triplet VAE's per-query measures: triplet accuracy in its own subspace and in the others'
/// (2000 triplets per query drawn from the evaluation images by data::triplet_sampler), and the
/// scatter of its two strongest dims coloured by its factor's value.
void measure_triplets(const std::vector<std::vector<double>>& masks, const tensor<float, cpu>& codes,
                      const data::batch<float, cpu>& eval_set, const config& c, metrics& m) {
    const eval::host_labels labels(eval_set.y);
    const eval::triplet_accuracy_report r = eval::triplet_accuracy(codes, labels, masks, 2000, c.flags.seed);
    const std::int64_t n = std::min<std::int64_t>(codes.rows(), 3000), d = codes.cols();
    const auto z = codes.to_vector();
    for (std::size_t q = 0; q < masks.size(); ++q) {
        const std::string query = data::shape_factor_names[static_cast<std::size_t>(query_factors[q])];
        m.set("triplet_acc_own_" + query, r.own[q]);
        m.set("triplet_acc_other_" + query, r.other[q]);
        std::fprintf(stderr, "triplet accuracy of %s: own %.3f, other %.3f\n", query.c_str(), r.own[q], r.other[q]);

        std::vector<std::int64_t> dims(static_cast<std::size_t>(d));
        for (std::int64_t k = 0; k < d; ++k) dims[static_cast<std::size_t>(k)] = k;
        std::stable_sort(dims.begin(), dims.end(), [&](auto a, auto b) {
            return masks[q][static_cast<std::size_t>(a)] > masks[q][static_cast<std::size_t>(b)];
        });
        std::vector<float> xy;
        std::vector<std::int32_t> colour;
        for (std::int64_t i = 0; i < n; ++i) {
            xy.push_back(z[static_cast<std::size_t>(i * d + dims[0])]);
            xy.push_back(z[static_cast<std::size_t>(i * d + dims[1])]);
            colour.push_back(labels.at(i, static_cast<std::int64_t>(q)));
        }
        write_scatter_png(c.flags.out / ("triplet_" + query + ".png"), xy, colour,
                          scatter_options{}
                              .title("triplet VAE: the " + query + " query's subspace, coloured by " + query)
                              .x_label("z" + std::to_string(dims[0]))
                              .y_label("z" + std::to_string(dims[1])));
    }
}

/// The masks [Q][D] of a triplet VAE.
template <class Masks, class Model>
std::vector<std::vector<double>> triplet_masks(Model& model) {
    return model.template term<triplet_constraint<"z", Masks>>().masks();
}

/// table.md: the metric table of the models that ran, in docs/results.md's layout.
void write_table(const std::filesystem::path& path, const metrics& m, const std::vector<std::string>& models) {
    std::string text = "| model | MIG | FactorVAE | DCI disentanglement | DCI completeness | recon (nats) | epochs (s) |\n"
                       "|---|---|---|---|---|---|---|\n";
    for (const auto& name : models) {
        char row[256];
        std::snprintf(row, sizeof row, "| %s | %.3f | %.3f | %.3f | %.3f | %.2f | %.0f (%.0f) |\n", name.c_str(),
                      m.get("mig_" + name), m.get("factorvae_" + name), m.get("dci_" + name),
                      m.get("dci_completeness_" + name), m.get("recon_" + name), m.get("epochs_" + name),
                      m.get("train_seconds_" + name));
        text += row;
    }
    write_file_atomically(path, [&](atomic_file_writer& w) { w.write(text.data(), text.size()); });
}

template <backend B>
void train_and_report(const config& c) {
    const common_flags& flags = c.flags;
    std::filesystem::create_directories(flags.out);
    const auto began = std::chrono::steady_clock::now();
    const auto since = [](auto t) { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(); };

    const data::shapes set = factor_shapes();
    const data::index_list order = data::epoch_permutation(set.size(), flags.seed, 0);
    // Every image trains (--quick: 12 000 of them); the metrics read a seeded sample of them, as
    // disentanglement metrics are computed on the training distribution.
    const data::index_list train_ids(order.begin(), order.begin() + (flags.quick ? 12000 : set.size()));
    const data::index_list eval_ids(order.begin(), order.begin() + c.eval_size);
    const auto eval_images = data::read_batch<float, cpu>(set, eval_ids);
    const evaluation e{eval_images,
                       data::in_memory::from_floats(set.layout(), eval_images.x.to_vector(), eval_images.y.to_vector()),
                       all_factors(set, eval_ids)};
    const auto nets = mlp_networks<float, B>({512, 256});
    const auto layout = set.layout();
    const auto n_train = static_cast<double>(train_ids.size());
    metrics m;

    const auto fit = [&](auto& model, const std::string& name) {
        trainer t(model, trainer_options{}
                             .epochs(flags.epochs)
                             .batch_size(flags.batch)
                             .lr(flags.lr)
                             .seed(flags.seed)
                             .time_budget(flags.quick ? 0 : c.time_budget)
                             .out(flags.out / "checkpoints" / name)
                             .resume(flags.resume));
        std::fprintf(stderr, "training %s\n", name.c_str());
        const auto t0 = std::chrono::steady_clock::now();
        const auto history = t.fit(set, train_ids);
        m.set("train_seconds_" + name, since(t0));
        m.set("epochs_" + name, double(history.size()));
        if (!history.empty()) {
            std::fprintf(stderr, "%s, last epoch:", name.c_str());
            for (const auto& [term, v] : history.back().terms) std::fprintf(stderr, " %s %.3f", term.c_str(), v);
            std::fprintf(stderr, "\n");
        }
    };
    const auto base = model_options{}.size("z", c.z_dim);
    for (const auto& name : c.models) {
        if (name == "vae" || name == "beta_vae") {
            auto model = vae<>::build(B{}, layout, nets, model_options(base).weight("kl.z", name == "vae" ? 1.0 : c.beta),
                                      flags.seed);
            fit(model, name);
            measure<B>(model, name, c, e, plain_rows(c.z_dim), m);
        } else if (name == "beta_tcvae") {
            const auto options = model_options(base).weight("tc.tc", c.tc_beta).set("tc.dataset_size", n_train);
            if (c.estimator == "mss") {
                auto model = beta_tcvae<bernoulli_likelihood, minibatch_stratified>::build(B{}, layout, nets, options,
                                                                                           flags.seed);
                fit(model, name);
                measure<B>(model, name, c, e, plain_rows(c.z_dim), m);
            } else {
                auto model = beta_tcvae<>::build(B{}, layout, nets, options, flags.seed);
                fit(model, name);
                measure<B>(model, name, c, e, plain_rows(c.z_dim), m);
            }
        } else {
            const auto options = model_options(base).weight("triplet", c.triplet_weight);
            const auto run_triplet = [&]<class Masks>(auto& model) {
                fit(model, name);
                const auto masks = triplet_masks<Masks>(model);
                std::vector<std::string> rows = plain_rows(c.z_dim);
                for (std::size_t q = 0; q < masks.size(); ++q)
                    for (std::size_t k = 0; k < masks[q].size(); ++k)
                        if (masks[q][k] > 0.5)
                            rows[k] += std::string(" ") + data::shape_factor_names[static_cast<std::size_t>(query_factors[q])];
                const auto codes = measure<B>(model, name, c, e, rows, m);
                measure_triplets(masks, codes, e.images, c, m);
            };
            if (c.masks == "learned") {
                auto model = triplet_vae<bernoulli_likelihood, learned_masks>::build(B{}, layout, nets, options, flags.seed);
                run_triplet.template operator()<learned_masks>(model);
            } else {
                auto model = triplet_vae<bernoulli_likelihood, fixed_masks>::build(
                    B{}, layout, nets, model_options(options).set("triplet.mask_dims", double(c.mask_dims)), flags.seed);
                run_triplet.template operator()<fixed_masks>(model);
            }
        }
    }
    m.set("eval_images", double(c.eval_size));
    m.set("train_images", n_train);
    m.set("seconds", since(began));
    write_table(flags.out / "table.md", m, c.models);
    examples::finish(m, flags.out);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
