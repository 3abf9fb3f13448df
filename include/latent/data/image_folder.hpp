// latent/data/image_folder.hpp: JPEG/PNG images from disk as square RGB examples.
//
// An image is read whole, decoded by stb_image from memory, centre-cropped to
// the largest square and resized to S×S by stb_image_resize, then stored as
// RGB floats in [0, 1] in CHW order (the layout a conv encoder takes). The
// crop keeps the middle of the picture (the face, in CelebA's aligned
// images) and never distorts its aspect ratio.
//
// Every failure is an io_error naming the file: missing or unreadable,
// not an image, truncated or corrupt (with stb's reason), absurdly large.
// Dimensions are checked from the header before any pixel is allocated.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/detail/image_cache.hpp"
#include "latent/io/detail/stb.hpp"
#include "latent/io/png.hpp"

namespace latent::data {

/// Largest image file read_image_file accepts (256 MiB): far above any photograph the datasets hold.
inline constexpr std::uintmax_t image_max_file_bytes = std::uintmax_t{1} << 28;
/// Largest width or height decode_image accepts.
inline constexpr int image_max_side = 1 << 14;
/// Largest width × height decode_image accepts (64 Mpixel, 192 MB decoded).
inline constexpr std::int64_t image_max_pixels = std::int64_t{1} << 26;

/// The bytes of a file.
/// ensures: io_error naming the file when it is missing, not a regular file,
///          unreadable, or larger than image_max_file_bytes.
inline std::vector<std::uint8_t> read_image_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    const bool regular = std::filesystem::is_regular_file(path, ec);
    LATENT_CHECK(regular && !ec, io_error, name, ": no such file");
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    LATENT_CHECK(!ec, io_error, name, ": cannot read its size (", ec.message(), ")");
    LATENT_CHECK(size <= image_max_file_bytes, io_error, name, ": ", size, " bytes is more than the ",
                 image_max_file_bytes, " an image file may have");
    std::ifstream in(path, std::ios::binary);
    LATENT_CHECK(in.is_open(), io_error, name, ": cannot open");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
    LATENT_CHECK(in.gcount() == static_cast<std::streamsize>(size), io_error, name, ": read ", in.gcount(), " of ",
                 size, " bytes");
    return bytes;
}

namespace detail {
struct stbi_deleter {
    void operator()(unsigned char* p) const { stbi_image_free(p); }
};
/// stb's reason for its last failure on this thread (never null).
inline const char* stbi_reason() {
    const char* r = stbi_failure_reason();
    return r != nullptr ? r : "unknown reason";
}

/// Why stb_image 2.27 must not be given this JPEG, or nullptr: a Huffman table (DHT) with more than
/// 256 codes, or a scan that decodes with a Huffman table no DHT defined.
///
/// Debian's stb_image (2.27, 2022) trusts both (found by fuzzing; later stb releases check them): it
/// fills its 257- and 256-entry arrays with a table's summed code counts unchecked (up to 4 KB written
/// past them), and decodes with a table it never initialised (reads out of bounds, or an assertion
/// that aborts). This walks the markers the way stb does (segment lengths, padding skipped between
/// segments, entropy-coded data up to the next FF xx with xx not 00, FF or a restart marker, bytes past
/// the end read as 0) and checks every DHT and SOS that stb would process. It may look at more segments
/// than stb, never fewer; files that are otherwise broken are left for stb to refuse.
inline const char* jpeg_unsafe_for_stb(const std::uint8_t* d, std::size_t n) {
    auto at = [&](std::size_t i) -> unsigned { return i < n ? d[i] : 0u; };
    bool defined[2][4] = {};  // [DC, AC][table id]
    bool progressive = false;
    std::size_t pos = 2;  // after SOI
    bool in_scan = false;
    while (pos < n) {
        if (in_scan) {  // entropy-coded data: up to the next marker that ends it
            while (pos < n && !(d[pos] == 0xff && at(pos + 1) != 0x00 && at(pos + 1) != 0xff &&
                                (at(pos + 1) < 0xd0 || at(pos + 1) > 0xd7)))
                ++pos;
            in_scan = false;
            continue;
        }
        while (pos < n && d[pos] != 0xff) ++pos;  // stb skips padding between segments
        while (pos < n && d[pos] == 0xff) ++pos;
        if (pos >= n) return nullptr;
        const unsigned marker = d[pos++];
        if (marker == 0xd9) return nullptr;                                             // EOI
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;  // no length
        const std::size_t length = (at(pos) << 8) | at(pos + 1);
        if (length < 2) return nullptr;  // stb stops here
        if (marker == 0xc0 || marker == 0xc1 || marker == 0xc2) progressive = marker == 0xc2;
        if (marker == 0xc4) {
            std::size_t cursor = pos + 2;
            long left = static_cast<long>(length) - 2;
            while (left > 0) {
                const unsigned q = at(cursor++);
                if ((q >> 4) > 1 || (q & 15) > 3) return nullptr;  // stb stops: bad table class or id
                std::size_t codes = 0;
                for (int k = 0; k < 16; ++k) codes += at(cursor++);
                if (codes > 256) return "a Huffman table with more than 256 codes";
                defined[q >> 4][q & 15] = true;
                cursor += codes;
                left -= 17 + static_cast<long>(codes);
            }
            if (left != 0) return nullptr;  // stb stops: the tables overrun the segment
        }
        if (marker == 0xda) {  // which tables this scan decodes with (ITU T.81 G.1.2 for progressive scans)
            const unsigned components = at(pos + 2);
            const unsigned spectral_start = at(pos + 3 + 2 * components);
            const unsigned approx_high = at(pos + 5 + 2 * components) >> 4;
            const bool uses_dc = !progressive || (spectral_start == 0 && approx_high == 0);
            const bool uses_ac = !progressive || spectral_start != 0;
            for (unsigned c = 0; c < components; ++c) {
                const unsigned tables = at(pos + 4 + 2 * c);
                if ((tables >> 4) > 3 || (tables & 15) > 3) return nullptr;  // stb stops: bad table id
                if ((uses_dc && !defined[0][tables >> 4]) || (uses_ac && !defined[1][tables & 15]))
                    return "a scan using a Huffman table that no DHT defined";
            }
        }
        pos += length;
        in_scan = marker == 0xda;
    }
    return nullptr;
}
}  // namespace detail

/// Decodes a JPEG or PNG held in memory, centre-crops it to a square and resizes it to side × side.
///
/// requires: 1 ≤ side ≤ image_max_side (config_error otherwise).
/// ensures:  3·side·side floats in [0, 1], channel-major (R plane, G plane, B plane), rows top to bottom;
///           grey or RGBA images are converted to RGB (alpha dropped). The crop is the largest centred
///           square: from column ⌊(w - m)/2⌋ and row ⌊(h - m)/2⌋, m = min(w, h).
///           io_error naming `file_name` for bytes without a JPEG or PNG signature (stb's other formats
///           are refused), for a PNG chunk or JPEG Huffman table or scan that stb 2.27 would trust unchecked
///           (see the two detail checks above), for anything that does not decode (with stb's reason), and for dimensions above image_max_side or image_max_pixels, checked before decoding.
inline std::vector<float> decode_image(const std::uint8_t* data, std::size_t size, const std::string& file_name,
                                       int side) {
    LATENT_CHECK(side >= 1 && side <= image_max_side, config_error, "decode_image: output side ", side,
                 " outside 1..", image_max_side);
    LATENT_CHECK(size > 0, io_error, file_name, ": empty file, not an image");
    LATENT_CHECK(size <= static_cast<std::size_t>(INT_MAX), io_error, file_name, ": ", size,
                 " bytes is too large to decode");
    // stb also reads GIF, BMP, PSD, TGA, HDR, PIC and PNM; only the two formats the datasets use get past
    // here, which keeps both the messages and the decoder surface exposed to untrusted files small.
    static constexpr std::uint8_t jpeg_magic[3] = {0xff, 0xd8, 0xff};
    static constexpr std::uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const bool is_jpeg = size >= 3 && std::equal(jpeg_magic, jpeg_magic + 3, data);
    const bool is_png = size >= 8 && std::equal(png_magic, png_magic + 8, data);
    LATENT_CHECK(is_jpeg || is_png, io_error, file_name, ": not a JPEG or PNG file (", size,
                 " bytes without either signature)");
    if (is_jpeg) {
        const char* unsafe = detail::jpeg_unsafe_for_stb(data, size);
        LATENT_CHECK(unsafe == nullptr, io_error, file_name, ": corrupt JPEG (", unsafe, ")");
    }
    std::vector<std::uint8_t> cleaned;  // the PNG without empty IDAT chunks, when it had some
    if (is_png) {
        // Checks that every chunk fits in the file before stb trusts their lengths, and drops empty
        // IDAT chunks that stb would copy from a null pointer (io/png.hpp says why).
        cleaned = ::latent::detail::drop_empty_idat({data, size}, file_name + ": truncated PNG");
        if (!cleaned.empty()) {
            data = cleaned.data();
            size = cleaned.size();
        }
    }
    const int len = static_cast<int>(size);
    int w = 0, h = 0, channels = 0;
    LATENT_CHECK(stbi_info_from_memory(data, len, &w, &h, &channels) == 1, io_error, file_name,
                 ": not a readable JPEG or PNG image (", detail::stbi_reason(), ")");
    LATENT_CHECK(w >= 1 && h >= 1 && w <= image_max_side && h <= image_max_side &&
                     std::int64_t{w} * h <= image_max_pixels,
                 io_error, file_name, ": image of ", w, "×", h, " pixels is outside 1..", image_max_side,
                 " per side or above ", image_max_pixels, " pixels");
    int dw = 0, dh = 0;
    std::unique_ptr<unsigned char, detail::stbi_deleter> pixels(stbi_load_from_memory(data, len, &dw, &dh, &channels, 3));
    LATENT_CHECK(pixels != nullptr, io_error, file_name, ": cannot decode image (", detail::stbi_reason(), ")");
    // The header read by stbi_info and the one the decoder used are the same bytes; a mismatch would be stb's bug,
    // but the crop below indexes by these numbers, so it is checked, not assumed.
    LATENT_CHECK(dw == w && dh == h, io_error, file_name, ": decoded ", dw, "×", dh, " pixels, header said ", w, "×",
                 h);

    const int m = std::min(w, h);
    const int x0 = (w - m) / 2, y0 = (h - m) / 2;
    const unsigned char* crop = pixels.get() + (static_cast<std::size_t>(y0) * static_cast<std::size_t>(w) +
                                                 static_cast<std::size_t>(x0)) * 3;
    const std::size_t plane = static_cast<std::size_t>(side) * static_cast<std::size_t>(side);
    std::vector<unsigned char> resized(plane * 3);
    LATENT_CHECK(stbir_resize_uint8(crop, m, m, w * 3, resized.data(), side, side, side * 3, 3) == 1, io_error,
                 file_name, ": cannot resize ", m, "×", m, " to ", side, "×", side, " (out of memory)");
    std::vector<float> out(plane * 3);
    for (std::size_t p = 0; p < plane; ++p)
        for (std::size_t c = 0; c < 3; ++c) out[c * plane + p] = static_cast<float>(resized[p * 3 + c]) / 255.0f;
    return out;
}

/// Reads, decodes, crops and resizes one image file: decode_image of read_image_file.
inline std::vector<float> load_image(const std::filesystem::path& path, int side) {
    const std::vector<std::uint8_t> bytes = read_image_file(path);
    return decode_image(bytes.data(), bytes.size(), path.string(), side);
}

/// Whether a file name ends in .jpg, .jpeg or .png (any case).
inline bool is_image_file_name(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

/// Options of image_folder: `image_folder(dir, {.side = 64, .labels_from_subfolders = true})`.
struct image_folder_options {
    int side = 64;                        ///< examples are 3 × side × side
    bool labels_from_subfolders = false;  ///< class k = the k-th subfolder of `dir` in sorted order
    std::size_t cache_images = 1024;      ///< decoded images kept (LRU), each 12·side² bytes; 0 caches none
};

/// Every *.jpg, *.jpeg and *.png under a directory (recursively), as a data::source.
///
/// requires: `dir` exists and holds at least one image; with labels_from_subfolders, every image lies
///           inside a first-level subfolder (its class).
/// ensures:  examples in the byte order of their paths relative to `dir` (deterministic on every system);
///           layout {3, side, side}, label_width 1. With labels: one class per first-level subfolder
///           holding images, numbered in sorted name order (`class_names()`), `classes` their count
///           (label_names {"class"}). Without: every label is 0 and classes is 1.
///           Images are decoded on read, through a shared bounded LRU cache (copies share it); read is
///           thread-safe. io_error naming the folder when it is missing or holds no image, naming the file
///           when an image is at the top level with labels on, or fails to decode on read.
class image_folder {
public:
    explicit image_folder(const std::filesystem::path& dir, image_folder_options options = {})
        : dir_(dir), options_(options) {
        namespace fs = std::filesystem;
        LATENT_CHECK(options_.side >= 1 && options_.side <= image_max_side, config_error,
                     "image_folder_options: side ", options_.side, " outside 1..", image_max_side);
        std::error_code ec;
        LATENT_CHECK(fs::is_directory(dir_, ec) && !ec, io_error, dir_.string(), ": no such directory");
        std::vector<std::string> relative;
        for (fs::recursive_directory_iterator it(dir_, fs::directory_options::skip_permission_denied, ec), end;
             !ec && it != end; it.increment(ec)) {
            if (it->is_regular_file(ec) && is_image_file_name(it->path()))
                relative.push_back(it->path().lexically_relative(dir_).generic_string());
        }
        LATENT_CHECK(!ec, io_error, dir_.string(), ": cannot list (", ec.message(), ")");
        LATENT_CHECK(!relative.empty(), io_error, dir_.string(), ": no .jpg, .jpeg or .png image in this folder");
        std::sort(relative.begin(), relative.end());

        std::map<std::string, std::int32_t> class_of;
        if (options_.labels_from_subfolders) {
            for (const auto& r : relative) {
                const auto slash = r.find('/');
                LATENT_CHECK(slash != std::string::npos, io_error, (dir_ / r).string(),
                             ": an image outside any class subfolder (labels come from subfolder names)");
                class_of.emplace(r.substr(0, slash), 0);
            }
            for (auto& [name, k] : class_of) {
                k = static_cast<std::int32_t>(class_names_.size());
                class_names_.push_back(name);
            }
        }
        for (const auto& r : relative) {
            files_.push_back(dir_ / fs::path(r));
            labels_.push_back(options_.labels_from_subfolders ? class_of.at(r.substr(0, r.find('/'))) : 0);
        }
        layout_.shape = {3, options_.side, options_.side};
        layout_.label_width = 1;
        layout_.classes = options_.labels_from_subfolders ? static_cast<int>(class_names_.size()) : 1;
        if (options_.labels_from_subfolders) layout_.label_names = {"class"};
        cache_ = std::make_shared<detail::image_cache>(options_.cache_images);
    }

    std::int64_t size() const { return static_cast<std::int64_t>(files_.size()); }
    const example_layout& layout() const { return layout_; }

    /// Writes example i's 3·side² features to x and its class to y[0].
    void read(std::int64_t i, float* x, std::int32_t* y) const {
        LATENT_CHECK(i >= 0 && i < size(), shape_error, "image_folder: example ", i, " of ", size());
        const std::size_t k = static_cast<std::size_t>(i);
        cache_->get_or_decode(i, x, static_cast<std::size_t>(layout_.features()),
                              [&](std::vector<float>& out) { out = load_image(files_[k], options_.side); });
        y[0] = labels_[k];
    }

    const std::filesystem::path& file(std::int64_t i) const { return files_.at(static_cast<std::size_t>(i)); }
    const std::vector<std::int32_t>& labels() const { return labels_; }
    /// The subfolder name of each class (empty without labels).
    const std::vector<std::string>& class_names() const { return class_names_; }
    /// Images decoded so far by this dataset and its copies (reads that missed the cache).
    std::int64_t decodes() const { return cache_->decodes(); }
    std::size_t cached() const { return cache_->resident(); }

private:
    std::filesystem::path dir_;
    image_folder_options options_;
    example_layout layout_;
    std::vector<std::filesystem::path> files_;
    std::vector<std::int32_t> labels_;
    std::vector<std::string> class_names_;
    std::shared_ptr<detail::image_cache> cache_;
};

static_assert(source<image_folder>);

}  // namespace latent::data
