// examples/common.hpp: what every example trainer does the same way.
//
// Training a model under the common flags (checkpoints per model under
// --out/checkpoints/<name>, --resume, --stop-after), switching many images in
// chunks, and writing a model's latents.csv and model.safetensors.
#pragma once

#include <latent/app/flags.hpp>
#include <latent/data/loader.hpp>
#include <latent/io/csv.hpp>
#include <latent/io/json.hpp>
#include <latent/io/png.hpp>
#include <latent/models/manipulate.hpp>
#include <latent/train/checkpoint.hpp>
#include <latent/train/trainer.hpp>

// An example compiled again by nvcc (examples/cuda/<name>.cu, built as <name>_cuda) has the
// device backend, and --device cuda runs there.
#if defined(__CUDACC__)
#include <latent/backend/device.hpp>
#endif

#include <algorithm>
#include <cstdio>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace examples {

using namespace latent;

/// Indices from … from + count − 1.
inline data::index_list index_range(std::int64_t from, std::int64_t count) {
    data::index_list ids(static_cast<std::size_t>(count));
    for (std::int64_t k = 0; k < count; ++k) ids[static_cast<std::size_t>(k)] = from + k;
    return ids;
}

/// Indices 0 … n−1.
inline data::index_list first_n(std::int64_t n) { return index_range(0, n); }

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

/// The names in a comma-separated --models list, in `known`'s order, each once; config_error
/// naming an unknown one and listing the known.
inline std::vector<std::string> parse_models(const std::string& list, const std::vector<std::string>& known) {
    std::vector<bool> wanted(known.size(), false);
    std::size_t begin = 0;
    while (begin <= list.size()) {
        const std::size_t end = std::min(list.find(',', begin), list.size());
        const std::string name = list.substr(begin, end - begin);
        std::size_t k = 0;
        while (k < known.size() && known[k] != name) ++k;
        if (k == known.size()) {
            std::string names;
            for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
            throw config_error("--models: unknown model '" + name + "' (known: " + names + ")");
        }
        wanted[k] = true;
        begin = end + 1;
    }
    std::vector<std::string> out;
    for (std::size_t k = 0; k < known.size(); ++k)
        if (wanted[k]) out.push_back(known[k]);
    return out;
}

/// One int32 label per row, [n, 1].
inline tensor<std::int32_t, cpu> label_rows(const std::vector<std::int32_t>& labels) {
    return tensor<std::int32_t, cpu>::from_host({static_cast<std::int64_t>(labels.size()), 1}, labels);
}

/// Calls `train.template operator()<B>()` with B the backend --device names: cpu in the plain
/// build; latent::device (--device cuda, its default there) in the example's CUDA build. The CUDA
/// build has no cpu path: instantiating every model for both backends doubled nvcc's work for
/// what the plain build already does. config_error naming the other build otherwise.
template <class Train>
void run_on_device(const std::string& device, const std::string& example, Train&& train) {
#if defined(__CUDACC__)
    LATENT_CHECK(device == "cuda", config_error, example, "_cuda runs on the GPU (--device cuda); for --device ",
                 device, " run ", example, ", the plain build");
    train.template operator()<latent::device>();
#else
    LATENT_CHECK(device == "cpu", config_error, example, ": --device ", device, " needs the CUDA build of this example (",
                 example, "_cuda, from the cuda preset)");
    train.template operator()<cpu>();
#endif
}

/// A tensor of backend B back on the host (the same handle when B is the host).
template <class T, backend B>
tensor<T, cpu> host(const tensor<T, B>& t) {
    if constexpr (std::is_same_v<B, cpu>) return t;
    else return t.template to<cpu>();
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

/// A PNG grid of `count` × `count` images of `side`×`side` grey pixels headed by their inputs:
/// the first row shows `columns` after a blank corner, each next row starts with one of `rows`,
/// followed by that row's cells. `rows` and `columns` hold `count` images each and `cells`
/// count² (row-major), all host vectors.
inline void write_headed_grid(const std::filesystem::path& path, const std::vector<float>& rows,
                              const std::vector<float>& columns, const std::vector<float>& cells, std::int64_t count,
                              std::int64_t side, const std::string& title) {
    const auto pixels = static_cast<std::ptrdiff_t>(side * side), n = static_cast<std::ptrdiff_t>(count);
    std::vector<float> grid(static_cast<std::size_t>(pixels), 1.0f);  // the blank corner
    grid.insert(grid.end(), columns.begin(), columns.begin() + n * pixels);
    for (std::ptrdiff_t i = 0; i < n; ++i) {
        grid.insert(grid.end(), rows.begin() + i * pixels, rows.begin() + (i + 1) * pixels);
        grid.insert(grid.end(), cells.begin() + i * n * pixels, cells.begin() + (i + 1) * n * pixels);
    }
    write_grid_png(path, grid, (count + 1) * (count + 1), 1, static_cast<int>(side), static_cast<int>(side),
                   static_cast<int>(count + 1), static_cast<int>(count + 1), grid_options{}.scale(2).title(title));
}

/// write_headed_grid of characteristic swaps: cell (i, j) = swap(a, b) of rows[i] and columns[j],
/// where `swap(a, b)` takes and returns host images [k, 1, side, side] pairwise.
template <class Swap>
void write_swap_grid(const std::filesystem::path& path, const std::vector<float>& rows,
                     const std::vector<float>& columns, std::int64_t count, std::int64_t side, Swap&& swap,
                     const std::string& title) {
    const auto pixels = static_cast<std::ptrdiff_t>(side * side);
    std::vector<float> a, b;
    for (std::ptrdiff_t i = 0; i < count; ++i)
        for (std::ptrdiff_t j = 0; j < count; ++j) {
            a.insert(a.end(), rows.begin() + i * pixels, rows.begin() + (i + 1) * pixels);
            b.insert(b.end(), columns.begin() + j * pixels, columns.begin() + (j + 1) * pixels);
        }
    const shape batch{count * count, 1, side, side};
    write_headed_grid(path, rows, columns,
                      swap(tensor<float, cpu>::from_host(batch, a), tensor<float, cpu>::from_host(batch, b)).to_vector(),
                      count, side, title);
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

/// How every example ends: metrics.json in `out`, each metric on stdout (those `shown` accepts),
/// and where the figures are.
template <class Shown = bool (*)(const std::string&)>
void finish(const metrics& m, const std::filesystem::path& out, Shown shown = [](const std::string&) { return true; }) {
    write_metrics_json(out / "metrics.json", m);
    for (const auto& [name, v] : m.entries())
        if (shown(name)) std::printf("%s %.4f\n", name.c_str(), v);
    std::printf("figures and metrics in %s\n", out.string().c_str());
}

}  // namespace examples
