// examples/common.hpp: what every example trainer does the same way.
//
// Training a model under the common flags (checkpoints per model under
// --out/checkpoints/<name>, --resume, --stop-after), switching many images in
// chunks, and writing a model's latents.csv and model.safetensors.
#pragma once

#include <latent/app/flags.hpp>
#include <latent/data/loader.hpp>
#include <latent/io/csv.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/train/checkpoint.hpp>
#include <latent/train/trainer.hpp>

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace examples {

using namespace latent;

/// Indices 0 … n−1.
inline data::index_list first_n(std::int64_t n) {
    data::index_list ids(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) ids[static_cast<std::size_t>(i)] = i;
    return ids;
}

/// Trains `m` on `ids` of `train` with the common flags; checkpoints under out/checkpoints/<name>.
template <class M, data::source S>
std::vector<epoch_record> train_model(M& m, const S& train, const data::index_list& ids, const common_flags& flags,
                                      int stop_after, const std::string& name,
                                      std::vector<int> milestones = {}) {
    trainer t(m, trainer_options{}
                     .epochs(flags.epochs)
                     .batch_size(flags.batch)
                     .lr(flags.lr)
                     .milestones(std::move(milestones))
                     .seed(flags.seed)
                     .out(flags.out / "checkpoints" / name)
                     .resume(flags.resume)
                     .stop_after(stop_after));
    std::fprintf(stderr, "training %s\n", name.c_str());
    auto history = t.fit(train, ids);
    if (!history.empty()) {
        std::fprintf(stderr, "%s, last epoch:", name.c_str());
        for (const auto& [term, v] : history.back().terms) std::fprintf(stderr, " %s %.4f", term.c_str(), v);
        std::fprintf(stderr, "\n");
    }
    return history;
}

/// One int32 label per row, [n, 1].
inline tensor<std::int32_t, cpu> label_rows(const std::vector<std::int32_t>& labels) {
    return tensor<std::int32_t, cpu>::from_host({static_cast<std::int64_t>(labels.size()), 1}, labels);
}

/// A host tensor on backend B (the same handle when B is the host).
template <backend B, class T>
tensor<T, B> on(const tensor<T, cpu>& t) {
    if constexpr (std::is_same_v<B, cpu>) return t;
    else return t.template to<B>();
}

/// Applies `fn(x_chunk, y_chunk, targets_chunk)` to chunks of `chunk` rows, each chunk moved to
/// backend B first, and stacks the images on the host.
template <backend B, class Switch>
tensor<float, cpu> switch_in_chunks(const tensor<float, cpu>& x, const tensor<std::int32_t, cpu>& y,
                                    const std::vector<std::int32_t>& targets, Switch&& fn, std::int64_t chunk = 500) {
    std::vector<float> out;
    const std::int64_t n = x.shape()[0];
    for (std::int64_t b = 0; b < n; b += chunk) {
        const std::int64_t e = std::min(n, b + chunk);
        const std::vector<std::int32_t> part(targets.begin() + b, targets.begin() + e);
        const auto images = fn(on<B>(x.rows(b, e).clone()), on<B>(y.rows(b, e).clone()), part).to_vector();
        out.insert(out.end(), images.begin(), images.end());
    }
    return tensor<float, cpu>::from_host(x.shape(), out);
}

/// latents.csv (every segment of `encoded`, in partition order, split "test") and model.safetensors.
template <class M>
void write_model_outputs(M& m, const std::filesystem::path& out, const encoded_set& encoded,
                         const std::vector<std::string>& label_names) {
    const std::vector<std::string> splits(static_cast<std::size_t>(encoded.latents.rows()), "test");
    std::vector<std::vector<float>> columns;
    std::vector<latent_segment_view> segments;
    for (const auto& s : m.layout().segments) columns.push_back(segment_of(encoded.latents, s).to_vector());
    for (std::size_t k = 0; k < columns.size(); ++k)
        segments.push_back({m.layout().segments[k].name, m.layout().segments[k].dim, columns[k]});
    write_latents_csv(out / "latents.csv", splits, latent_labels_view{label_names, encoded.labels}, segments);
    save_weights(out / "model.safetensors", m.parameters());
}

}  // namespace examples
