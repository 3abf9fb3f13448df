// compose_your_own: a new latent structure in a few lines of types (docs/composing.md).
//
// CSVAE with two policies swapped: the label subspace w gets a *learned*
// label-conditional prior instead of the fixed switch prior, and the decoder a
// Laplace likelihood instead of the squared error. No new trainer, loss or
// network code: the model template composes the terms, the trainer alternates
// the adversary's steps, and the manipulation API works as for any model.
//
//   compose_your_own --out DIR [--epochs N] [--seed N] [--quick]
#include "common.hpp"

#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <latent/data/swiss_roll.hpp>
#include <latent/eval/probes.hpp>
#include <latent/io/json.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/models/networks.hpp>
#include <latent/objectives/adversaries.hpp>
#include <latent/train/trainer.hpp>

#include <cstdio>

using namespace latent;

// The whole model: a free segment, one learned-prior subspace per label, a likelihood, an adversary.
using my_space = partition<block<"z", 2, standard_normal, gaussian_posterior<from_x>>,
                           label_blocks<"w", 2, learned_conditional_prior, gaussian_posterior<from_x_and_y>>>;
using my_model = model<my_space, laplace_likelihood, entropy_adversary<"z">>;

namespace {

void run(int argc, char** argv) {
    common_flags defaults;
    defaults.epochs = 40;
    defaults.out = "out/compose_your_own";
    common_flags flags = parse_common_flags(argc, argv, "compose_your_own", defaults);
    if (flags.quick) flags.epochs = std::min(flags.epochs, 10);

    const auto train = data::make_swiss_roll(10000, flags.seed), test = data::make_swiss_roll(2000, flags.seed + 7);
    auto m = my_model::build(cpu{}, train.data.layout(), mlp_networks<float>({64, 64}),
                             model_options{}.size("z", 2).size("w", 2).weight("kl.z", 0.2).weight("entropy.z", 10),
                             flags.seed);
    trainer t(m, trainer_options{}.epochs(flags.epochs).batch_size(flags.batch).lr(flags.lr).seed(flags.seed).out(
                     flags.out / "checkpoint"));
    t.fit(train.data, examples::first_n(10000));

    // Where did the learned prior put the two label values, and what do the segments hold?
    const auto enc_train = encode_dataset(m, train.data, examples::first_n(10000)), enc_test = encode_dataset(m, test.data, examples::first_n(2000));
    metrics out;
    for (const char* seg : {"z", "w"}) {
        const auto& s = m.layout()[seg];
        out.set(std::string("acc_from_") + seg,
                eval::probe_accuracy(segment_of(enc_train.latents, s), enc_train.labels, segment_of(enc_test.latents, s),
                                     enc_test.labels, eval::probe_options{}.epochs(10).seed(flags.seed)));
    }
    m.prior<"w">().for_each_parameter([&](parameter<float, cpu>& p) { out.set(p.name() + "_0", p.value().to_vector()[0]); });
    write_metrics_json(flags.out / "metrics.json", out);
    for (const auto& [name, v] : out.entries()) std::printf("%s %.4f\n", name.c_str(), v);
}

}  // namespace

int main(int argc, char** argv) { return run_main(argc, argv, run); }
