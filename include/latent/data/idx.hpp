// latent/data/idx.hpp: IDX files (MNIST, Fashion-MNIST), plain or gzip-compressed.
//
// IDX: two zero bytes, a type byte, a rank byte, one big-endian uint32 extent
// per axis, then the values. Only unsigned bytes (type 0x08) are read: the
// image and label files of the MNIST family use nothing else.
//
// Every read is validated: magic, type, rank, extents, the exact number of
// data bytes (short or long files are errors). The header cannot make the
// reader allocate more than the data actually present. Errors are io_error
// naming the file. read_idx_bytes parses bytes already in memory (what the
// fuzzer feeds); read_idx reads a file and hands its bytes to it.
//
// Two ways to hold a labelled image set: `labeled_images` (float tensors, for
// small sets and tests) and `load_idx_dataset`/`fashion_mnist` (a data::in_memory
// keeping the bytes, a quarter of the memory, converted per example when read).
#pragma once

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
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

/// Largest data payload read_idx accepts (4 GiB): beyond any data set of this family.
inline constexpr std::uint64_t idx_max_bytes = std::uint64_t{1} << 32;

namespace detail {
/// The bytes of an IDX image, read front to back: the input itself, or what zlib inflates
/// from it when it starts with gzip's magic (1f 8b). Concatenated gzip members are read as
/// one stream, as gzread does; anything else after the last member is an error.
class idx_source {
public:
    idx_source(std::span<const std::uint8_t> in, const std::string& name) : in_(in), name_(name) {
        gzip_ = in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b;
        if (gzip_) {
            // 15 + 16: a 32 KiB window and a gzip wrapper (header and CRC-checked trailer), no raw/zlib fallback.
            LATENT_CHECK(inflateInit2(&z_, 15 + 16) == Z_OK, io_error, name_, ": cannot start zlib");
            open_ = true;
        }
    }
    idx_source(const idx_source&) = delete;
    idx_source& operator=(const idx_source&) = delete;
    ~idx_source() {
        if (open_) inflateEnd(&z_);
    }

    /// Copies up to n bytes to dst; fewer only where the data ends. Throws io_error on a corrupt stream.
    std::size_t read(std::uint8_t* dst, std::size_t n) {
        if (!gzip_) {
            const std::size_t k = std::min(n, in_.size() - at_);
            if (k > 0) std::memcpy(dst, in_.data() + at_, k);
            at_ += k;
            return k;
        }
        std::size_t done = 0;
        while (done < n && !(ended_ && at_ == in_.size())) {
            if (ended_) {
                // Another member may follow; anything that is not one is refused.
                LATENT_CHECK(in_.size() - at_ >= 2 && in_[at_] == 0x1f && in_[at_ + 1] == 0x8b, io_error, name_,
                             ": ", in_.size() - at_, " bytes after the end of the gzip stream");
                LATENT_CHECK(inflateReset(&z_) == Z_OK, io_error, name_, ": cannot restart zlib");
                ended_ = false;
            }
            // zlib counts in uInt: feed and drain at most 1 GiB a call.
            constexpr std::size_t step = std::size_t{1} << 30;
            z_.next_in = const_cast<Bytef*>(in_.data() + at_);
            z_.avail_in = static_cast<uInt>(std::min(step, in_.size() - at_));
            z_.next_out = dst + done;
            z_.avail_out = static_cast<uInt>(std::min(step, n - done));
            const uInt in_before = z_.avail_in, out_before = z_.avail_out;
            const int rc = inflate(&z_, Z_NO_FLUSH);
            at_ += in_before - z_.avail_in;
            done += out_before - z_.avail_out;
            if (rc == Z_STREAM_END) {
                ended_ = true;
                continue;
            }
            LATENT_CHECK(rc == Z_OK || rc == Z_BUF_ERROR, io_error, name_, ": corrupt gzip stream (",
                         z_.msg ? z_.msg : "zlib error", ")");
            if (in_before - z_.avail_in == 0 && out_before - z_.avail_out == 0) break;  // input exhausted mid-stream
        }
        return done;
    }

    /// Whether a gzip input ended exactly at the end of a complete member (true for plain input).
    bool complete() const { return !gzip_ || (ended_ && at_ == in_.size()); }

private:
    std::span<const std::uint8_t> in_;
    const std::string& name_;
    std::size_t at_ = 0;
    bool gzip_ = false, open_ = false, ended_ = false;
    z_stream z_{};
};
}  // namespace detail

/// Parses the bytes of an IDX file of unsigned bytes, held in memory; gzip-compressed bytes
/// (magic 1f 8b) are detected and inflated. `name` names the input in errors.
/// ensures: dims.size() in 1..4 and values.size() == product of dims, or io_error naming `name`;
///          the result never holds more than twice the bytes the input decodes to.
inline idx_array read_idx_bytes(std::span<const std::uint8_t> bytes, const std::string& name) {
    detail::idx_source src(bytes, name);
    auto read_exact = [&](std::uint8_t* dst, std::size_t n) { return src.read(dst, n) == n; };
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
        const std::size_t got = src.read(out.values.data() + at, want);
        out.values.resize(at + got);
        LATENT_CHECK(got == want, io_error, name, ": data ends after ", out.values.size(), " of ", total, " bytes");
    }
    std::uint8_t extra;
    LATENT_CHECK(src.read(&extra, 1) == 0, io_error, name, ": ", "trailing bytes after ", total, " bytes of data");
    // A gzip stream cut inside its trailer decodes every byte yet is not complete.
    LATENT_CHECK(src.complete(), io_error, name, ": corrupt or truncated gzip stream (it ends before its trailer)");
    return out;
}

/// Reads an IDX file of unsigned bytes; gzip-compressed files are detected and inflated.
/// The whole file is read, then parsed by read_idx_bytes; errors name the file.
inline idx_array read_idx(const std::filesystem::path& path) {
    const std::string name = path.string();
    struct closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, closer> file(std::fopen(name.c_str(), "rb"));
    LATENT_CHECK(file != nullptr, io_error, name, ": cannot open");
    std::vector<std::uint8_t> bytes;
    constexpr std::size_t chunk = std::size_t{1} << 20;
    for (;;) {
        const std::size_t at = bytes.size();
        bytes.resize(at + chunk);
        const std::size_t got = std::fread(bytes.data() + at, 1, chunk, file.get());
        bytes.resize(at + got);
        if (got < chunk) break;
    }
    LATENT_CHECK(!std::ferror(file.get()), io_error, name, ": read error");
    return read_idx_bytes(bytes, name);
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
