// latent/data/idx.hpp: IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed.
//
// IDX: two zero bytes, a type byte, a rank byte, one big-endian uint32 extent
// per axis, then the values. Only unsigned bytes (type 0x08) are read: the
// image and label files of the MNIST family use nothing else.
//
// Every read is validated: magic, type, rank, extents, the exact number of
// data bytes (short or long files are errors). The header cannot make the
// reader allocate more than the data actually present. Errors are io_error
// naming the file.
//
// Two ways to hold a labelled image set: `labeled_images` (float tensors, for
// small sets and tests) and `load_idx_dataset`/`fashion_mnist` (a data::in_memory
// keeping the bytes, a quarter of the memory, converted per example when read).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <type_traits>
#include <string>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent::data {

/// The contents of one IDX file.
struct idx_array {
    std::vector<std::int64_t> dims;
    std::vector<std::uint8_t> values;
    std::int64_t count() const { return dims.empty() ? 0 : dims[0]; }
};

namespace detail {
struct gz_closer {
    void operator()(gzFile f) const { gzclose(f); }
};
using gz_file = std::unique_ptr<std::remove_pointer_t<gzFile>, gz_closer>;
}  // namespace detail

/// Largest data payload read_idx accepts (4 GiB): beyond any data set of this family.
inline constexpr std::uint64_t idx_max_bytes = std::uint64_t{1} << 32;

/// Reads an IDX file of unsigned bytes; gzip-compressed files are detected and inflated.
inline idx_array read_idx(const std::filesystem::path& path) {
    const std::string name = path.string();
    detail::gz_file file(gzopen(name.c_str(), "rb"));
    LATENT_CHECK(file != nullptr, io_error, name, ": cannot open");
    auto read_exact = [&](void* dst, unsigned n) {
        const int got = gzread(file.get(), dst, n);
        return got >= 0 && static_cast<unsigned>(got) == n;
    };
    std::uint8_t magic[4];
    LATENT_CHECK(read_exact(magic, 4), io_error, name, ": too short for an IDX header (or not a valid gzip stream)");
    LATENT_CHECK(magic[0] == 0 && magic[1] == 0, io_error, name, ": not an IDX file (bad magic)");
    LATENT_CHECK(magic[2] == 0x08, io_error, name, ": IDX element type 0x", std::hex, int(magic[2]),
                 " is not supported (only unsigned bytes, 0x08)");
    const int rank = magic[3];
    LATENT_CHECK(rank >= 1 && rank <= 4, io_error, name, ": IDX rank ", rank, " outside 1..4");
    idx_array out;
    std::uint64_t total = 1;
    for (int d = 0; d < rank; ++d) {
        std::uint8_t b[4];
        LATENT_CHECK(read_exact(b, 4), io_error, name, ": header ends inside the extent of axis ", d);
        const std::uint64_t extent = (std::uint64_t{b[0]} << 24) | (std::uint64_t{b[1]} << 16) |
                                     (std::uint64_t{b[2]} << 8) | std::uint64_t{b[3]};
        total *= extent;  // cannot overflow: at most 4 factors below 2^32, checked as we go
        LATENT_CHECK(total <= idx_max_bytes, io_error, name, ": extents claim more than ", idx_max_bytes, " bytes");
        out.dims.push_back(static_cast<std::int64_t>(extent));
    }
    // Grow with the data actually read, so a lying header cannot force a huge allocation
    // (at most twice what is there), doubling but never past `total`, so that a held data
    // set's capacity is its size (the default doubling would leave up to half of it unused).
    constexpr std::size_t chunk = std::size_t{1} << 20;
    while (out.values.size() < total) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, total - out.values.size()));
        const std::size_t at = out.values.size();
        if (out.values.capacity() < at + want)
            out.values.reserve(static_cast<std::size_t>(
                std::min<std::uint64_t>(total, std::max<std::uint64_t>(2 * out.values.capacity(), at + want))));
        out.values.resize(at + want);
        const int got = gzread(file.get(), out.values.data() + at, static_cast<unsigned>(want));
        LATENT_CHECK(got >= 0, io_error, name, ": read error (corrupt gzip stream?)");
        out.values.resize(at + static_cast<std::size_t>(got));
        LATENT_CHECK(static_cast<std::size_t>(got) == want, io_error, name, ": data ends after ", out.values.size(),
                     " of ", total, " bytes");
    }
    std::uint8_t extra;
    LATENT_CHECK(gzread(file.get(), &extra, 1) == 0, io_error, name, ": ", "trailing bytes after ", total,
                 " bytes of data");
    // A gzip stream cut inside its trailer decodes every byte yet fails its check here.
    int status = Z_OK;
    const char* why = gzerror(file.get(), &status);
    LATENT_CHECK(status == Z_OK || status == Z_STREAM_END, io_error, name, ": corrupt or truncated gzip stream (", why,
                 ")");
    return out;
}

/// Images and their labels.
template <backend B = cpu>
struct labeled_images {
    tensor<float, B> images;           // [N, 1, H, W], values in [0, 1]
    tensor<std::int32_t, B> labels;    // [N]
    std::int64_t size() const { return labels.numel(); }
};

namespace detail {
/// An image file and its label file, read and checked against each other.
struct idx_pair {
    idx_array images, labels;
};
inline idx_pair read_idx_pair(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                              int classes) {
    LATENT_CHECK(classes >= 1 && classes <= 256, config_error, "load_idx: classes ", classes,
                 " outside [1, 256] (labels are bytes)");
    idx_pair p{read_idx(images_path), read_idx(labels_path)};
    LATENT_CHECK(p.images.dims.size() == 3, io_error, images_path.string(), ": expected [N, H, W] images, got rank ",
                 p.images.dims.size());
    LATENT_CHECK(p.labels.dims.size() == 1, io_error, labels_path.string(), ": expected [N] labels, got rank ",
                 p.labels.dims.size());
    LATENT_CHECK(p.images.dims[0] == p.labels.dims[0], io_error, images_path.string(), " holds ", p.images.dims[0],
                 " images but ", labels_path.string(), " holds ", p.labels.dims[0], " labels");
    for (std::size_t i = 0; i < p.labels.values.size(); ++i)
        LATENT_CHECK(p.labels.values[i] < classes, io_error, labels_path.string(), ": label ", int(p.labels.values[i]),
                     " at index ", i, " is not below ", classes);
    return p;
}
}  // namespace detail

/// Reads an image file ([N, H, W] bytes) and its label file ([N] bytes), checking that they agree.
template <backend B = cpu>
labeled_images<B> load_idx_images(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                                  int classes = 10) {
    const detail::idx_pair p = detail::read_idx_pair(images_path, labels_path, classes);
    std::vector<float> pixels(p.images.values.size());
    // Scaled as data::in_memory scales bytes (× 1/255, not ÷ 255: they differ in the last bit for
    // half the bytes), so that both ways of loading a file give identical pixels.
    for (std::size_t i = 0; i < pixels.size(); ++i)
        pixels[i] = static_cast<float>(p.images.values[i]) * (1.0f / 255.0f);
    const std::vector<std::int32_t> ys(p.labels.values.begin(), p.labels.values.end());
    const std::int64_t n = p.images.dims[0];
    return {tensor<float, B>::from_host({n, 1, p.images.dims[1], p.images.dims[2]}, pixels),
            tensor<std::int32_t, B>::from_host({n}, ys)};
}

/// The same files as a data::source that keeps the pixels as bytes (N·H·W of them,
/// a quarter of the floats) and scales them by 1/255 when an example is read.
/// ensures: layout {1, H, W}, label_width 1, `classes` classes, label_names {"class"};
///          read(i) gives the pixels load_idx_images gives for image i, bit for bit.
inline in_memory load_idx_dataset(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                                  int classes = 10) {
    detail::idx_pair p = detail::read_idx_pair(images_path, labels_path, classes);
    example_layout layout{{1, p.images.dims[1], p.images.dims[2]}, 1, classes, {"class"}};
    std::vector<std::int32_t> ys(p.labels.values.begin(), p.labels.values.end());
    return in_memory::from_bytes(std::move(layout), std::move(p.images.values), std::move(ys));
}

/// Where Debian's dataset-fashion-mnist package puts the data.
inline const std::filesystem::path fashion_mnist_default_dir = "/usr/share/datasets/fashion-mnist";

enum class split { train, test };

/// Fashion-MNIST (60 000 training and 10 000 test images, 28×28, ten classes).
template <backend B = cpu>
labeled_images<B> load_fashion_mnist(split which, const std::filesystem::path& dir = fashion_mnist_default_dir) {
    const std::string stem = which == split::train ? "train" : "t10k";
    return load_idx_images<B>(dir / (stem + "-images-idx3-ubyte.gz"), dir / (stem + "-labels-idx1-ubyte.gz"));
}

/// Fashion-MNIST as a data::source held as bytes (~47 MB for the training split, not ~188 MB of floats).
inline in_memory fashion_mnist(split which, const std::filesystem::path& dir = fashion_mnist_default_dir) {
    const std::string stem = which == split::train ? "train" : "t10k";
    return load_idx_dataset(dir / (stem + "-images-idx3-ubyte.gz"), dir / (stem + "-labels-idx1-ubyte.gz"), 10);
}

/// The names of Fashion-MNIST's classes, by label.
inline constexpr const char* fashion_mnist_classes[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace latent::data
