// latent/io/png.hpp: 8-bit images, PNG files, and image grids with captions.
//
// Pictures of what a model learned (samples, reconstructions, traversals, swap
// grids) are float tensors with values in [0, 1]; they become 8-bit pixels
// (clamped, rounded, NaN as 0), are laid out in a grid with padding and an
// optional caption drawn with latent's own bitmap font (io/detail/font.hpp),
// encoded as PNG in memory by stb_image_write and written atomically, so that a
// reader never sees half a picture. read_png/decode_png decode PNG (only PNG)
// through stb_image, for round trips and tests; every error is an io_error
// naming the file.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latent/backend/cpu.hpp"
#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"
#include "latent/io/detail/font.hpp"
#include "latent/io/detail/stb.hpp"
#include "latent/tensor/tensor.hpp"

namespace latent {

/// An 8-bit image: `height` rows of `width` pixels, each of `channels` interleaved bytes
/// (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), rows top to bottom.
/// ensures: pixels.size() == width * height * channels.
struct image {
    int width = 0;
    int height = 0;
    int channels = 0;
    std::vector<std::uint8_t> pixels;

    image() = default;
    /// A `width`×`height` image of `channels` channels, every byte `fill`.
    image(int w, int h, int c, std::uint8_t fill = 0) : width(w), height(h), channels(c) {
        LATENT_CHECK(w >= 0 && h >= 0 && c >= 1 && c <= 4, config_error, "image: ", w, "x", h, " with ", c,
                     " channels is not an image (channels 1..4, sizes >= 0)");
        pixels.assign(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * static_cast<std::size_t>(c), fill);
    }
    /// Byte of channel `c` of pixel (x, y); unchecked.
    std::uint8_t& at(int x, int y, int c = 0) {
        return pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)) *
                          static_cast<std::size_t>(channels) +
                      static_cast<std::size_t>(c)];
    }
    std::uint8_t at(int x, int y, int c = 0) const { return const_cast<image&>(*this).at(x, y, c); }
};

/// An RGB colour; on a gray image its mean is used.
struct rgb {
    std::uint8_t r = 0, g = 0, b = 0;
    friend bool operator==(const rgb&, const rgb&) = default;
};

/// A value in [0, 1] as a byte: round(255·clamp(v, 0, 1)); NaN becomes 0.
inline std::uint8_t to_byte(float v) {
    if (!(v > 0.0f)) return 0;  // also NaN
    if (v >= 1.0f) return 255;
    return static_cast<std::uint8_t>(std::lround(v * 255.0f));
}

namespace detail {

/// Sets pixel (x, y) to `colour`, ignoring pixels outside the image (drawing clips).
inline void put_pixel(image& img, int x, int y, rgb colour) {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return;
    if (img.channels >= 3) {
        img.at(x, y, 0) = colour.r;
        img.at(x, y, 1) = colour.g;
        img.at(x, y, 2) = colour.b;
        if (img.channels == 4) img.at(x, y, 3) = 255;
    } else {
        img.at(x, y, 0) = static_cast<std::uint8_t>((colour.r + colour.g + colour.b + 1) / 3);
        if (img.channels == 2) img.at(x, y, 1) = 255;
    }
}

/// Fills the rectangle [x, x + w) × [y, y + h), clipped to the image.
inline void fill_rect(image& img, int x, int y, int w, int h, rgb colour) {
    const int x0 = std::max(x, 0), y0 = std::max(y, 0);
    const int x1 = std::min(x + w, img.width), y1 = std::min(y + h, img.height);
    for (int yy = y0; yy < y1; ++yy)
        for (int xx = x0; xx < x1; ++xx) put_pixel(img, xx, yy, colour);
}

/// Draws `text` with its top-left corner at (x, y), each font pixel a `scale`×`scale` square; clipped.
inline void draw_text(image& img, int x, int y, std::string_view text, rgb colour, int scale = 1) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int left = x + static_cast<int>(i) * glyph_advance * scale;
        for (int gy = 0; gy < glyph_height; ++gy)
            for (int gx = 0; gx < glyph_width; ++gx)
                if (glyph_ink(text[i], gx, gy)) fill_rect(img, left + gx * scale, y + gy * scale, scale, scale, colour);
    }
}

/// Colour for text on a background of gray level `background` in [0, 1]: black on light, white on dark.
inline rgb text_colour_on(float background) { return background >= 0.5f ? rgb{0, 0, 0} : rgb{255, 255, 255}; }

}  // namespace detail

/// Planar float values ([channels, height, width], in [0, 1]) as an 8-bit image (see to_byte).
/// requires: channels is 1 or 3; values.size() == channels·height·width; otherwise shape_error.
inline image image_from_floats(std::span<const float> values, int channels, int height, int width) {
    LATENT_CHECK(channels == 1 || channels == 3, shape_error, "image_from_floats: ", channels,
                 " channels; a picture has 1 (gray) or 3 (RGB)");
    LATENT_CHECK(height >= 1 && width >= 1 &&
                     values.size() == static_cast<std::size_t>(channels) * static_cast<std::size_t>(height) *
                                          static_cast<std::size_t>(width),
                 shape_error, "image_from_floats: ", values.size(), " values for a [", channels, ", ", height, ", ",
                 width, "] image");
    image out(width, height, channels);
    const std::size_t plane = static_cast<std::size_t>(height) * static_cast<std::size_t>(width);
    for (int c = 0; c < channels; ++c)
        for (std::size_t p = 0; p < plane; ++p)
            out.pixels[p * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] =
                to_byte(values[static_cast<std::size_t>(c) * plane + p]);
    return out;
}

/// A float picture tensor as an 8-bit image: shape [H, W], [C, H, W] or [1, C, H, W] with C 1 or 3.
inline image image_from_tensor(const tensor<float, cpu>& t) {
    const auto& s = t.shape();
    const std::vector<float> v = t.to_vector();
    if (s.rank() == 2) return image_from_floats(v, 1, static_cast<int>(s[0]), static_cast<int>(s[1]));
    if (s.rank() == 3) return image_from_floats(v, static_cast<int>(s[0]), static_cast<int>(s[1]), static_cast<int>(s[2]));
    LATENT_CHECK(s.rank() == 4 && s[0] == 1, shape_error, "image_from_tensor: shape ", s,
                 " is not a picture ([H, W], [C, H, W] or [1, C, H, W])");
    return image_from_floats(v, static_cast<int>(s[1]), static_cast<int>(s[2]), static_cast<int>(s[3]));
}

/// The PNG encoding of `img` (lossless: decode_png gives back the same pixels).
/// requires: width, height >= 1; otherwise config_error.
inline std::vector<std::uint8_t> encode_png(const image& img) {
    LATENT_CHECK(img.width >= 1 && img.height >= 1 && img.channels >= 1 && img.channels <= 4 &&
                     img.pixels.size() == static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height) *
                                              static_cast<std::size_t>(img.channels),
                 config_error, "encode_png: a ", img.width, "x", img.height, "x", img.channels, " image with ",
                 img.pixels.size(), " bytes cannot be encoded");
    std::vector<std::uint8_t> out;
    auto sink = [](void* context, void* data, int size) {
        auto* bytes = static_cast<std::vector<std::uint8_t>*>(context);
        const auto* p = static_cast<const std::uint8_t*>(data);
        bytes->insert(bytes->end(), p, p + size);
    };
    const int ok = stbi_write_png_to_func(sink, &out, img.width, img.height, img.channels, img.pixels.data(),
                                          img.width * img.channels);
    LATENT_CHECK(ok != 0, io_error, "encode_png: stb_image_write failed on a ", img.width, "x", img.height, " image");
    return out;
}

/// Writes `img` as a PNG file, atomically (io/atomic_file.hpp); io_error naming the file on failure.
inline void write_png(const std::filesystem::path& path, const image& img) {
    const std::vector<std::uint8_t> bytes = encode_png(img);
    write_file_atomically(path, [&](atomic_file_writer& out) { out.write(bytes.data(), bytes.size()); });
}

/// Writes a float picture tensor ([H, W], [C, H, W] or [1, C, H, W]; values clamped to [0, 1]) as PNG.
inline void write_png(const std::filesystem::path& path, const tensor<float, cpu>& picture) {
    write_png(path, image_from_tensor(picture));
}

/// The largest image decode_png accepts, in decoded bytes (256 MiB): a hostile header cannot
/// make it allocate more.
inline constexpr std::uint64_t png_max_decoded_bytes = std::uint64_t{1} << 28;

namespace detail {
/// Walks the chunk list of `png` (after the signature) up to IEND, checking that every chunk
/// lies within the bytes, and returns `png` without its zero-length IDAT chunks, or an empty
/// vector when it has none.
/// Why: stb_image trusts a chunk's length and reallocates its IDAT buffer to that size before
/// reading, so a 70-byte file claiming a 1 GiB chunk costs gigabytes (found by fuzz/png.cpp);
/// and it copies an empty first IDAT from a null pointer (undefined behaviour, ditto). Empty
/// IDAT chunks hold no data, so dropping them changes nothing.
/// Throws io_error "<name>: ... at byte <offset>" for a chunk that does not fit, or no IEND.
inline std::vector<std::uint8_t> drop_empty_idat(std::span<const std::uint8_t> png, const std::string& name) {
    auto be32 = [&](std::size_t at) {
        return (std::uint32_t{png[at]} << 24) | (std::uint32_t{png[at + 1]} << 16) | (std::uint32_t{png[at + 2]} << 8) |
               std::uint32_t{png[at + 3]};
    };
    std::vector<std::pair<std::size_t, std::size_t>> empty;  // [begin, end) of each zero-length IDAT
    bool ended = false;
    for (std::size_t at = 8; !ended;) {
        LATENT_CHECK(at + 12 <= png.size(), io_error, name, ": PNG ends at byte ", png.size(),
                     " inside a chunk header or before its IEND chunk (chunk at byte ", at, ")");
        const std::uint64_t length = be32(at);
        LATENT_CHECK(length <= png.size() - at - 12, io_error, name, ": PNG chunk at byte ", at, " claims ", length,
                     " data bytes but only ", png.size() - at - 12, " follow");
        const std::uint8_t* type = png.data() + at + 4;
        if (length == 0 && std::memcmp(type, "IDAT", 4) == 0) empty.emplace_back(at, at + 12);
        ended = std::memcmp(type, "IEND", 4) == 0;
        at += 12 + static_cast<std::size_t>(length);
    }
    std::vector<std::uint8_t> out;
    if (empty.empty()) return out;
    out.reserve(png.size());
    std::size_t from = 0;
    for (const auto& [begin, end] : empty) {
        out.insert(out.end(), png.begin() + static_cast<std::ptrdiff_t>(from),
                   png.begin() + static_cast<std::ptrdiff_t>(begin));
        from = end;
    }
    out.insert(out.end(), png.begin() + static_cast<std::ptrdiff_t>(from), png.end());
    return out;
}
}  // namespace detail

/// Decodes PNG bytes; `name` stands for the file in messages. The image keeps the file's
/// channel count (1 to 4) at 8 bits (16-bit PNGs are reduced to 8).
/// Throws io_error naming `name` for bytes that are not a PNG, a corrupt PNG (a chunk that
/// does not fit in the bytes is reported with its byte offset), or one larger than
/// png_max_decoded_bytes. Memory use is bounded by a small multiple of the bytes plus the
/// decoded size, whatever the chunks claim.
inline image decode_png(std::span<const std::uint8_t> bytes, const std::string& name) {
    static constexpr std::uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    LATENT_CHECK(bytes.size() >= 8 && std::memcmp(bytes.data(), signature, 8) == 0, io_error, name,
                 ": not a PNG file (bad signature)");
    LATENT_CHECK(bytes.size() <= static_cast<std::size_t>(std::numeric_limits<int>::max()), io_error, name,
                 ": PNG of ", bytes.size(), " bytes is too large");
    const std::vector<std::uint8_t> without_empty = detail::drop_empty_idat(bytes, name);
    if (!without_empty.empty()) bytes = without_empty;
    const int length = static_cast<int>(bytes.size());
    int w = 0, h = 0, c = 0;
    LATENT_CHECK(stbi_info_from_memory(bytes.data(), length, &w, &h, &c) != 0, io_error, name,
                 ": corrupt PNG header (", stbi_failure_reason(), ")");
    const std::uint64_t decoded = std::uint64_t(w) * std::uint64_t(h) * std::uint64_t(c);
    LATENT_CHECK(w >= 1 && h >= 1 && c >= 1 && c <= 4 && decoded <= png_max_decoded_bytes, io_error, name, ": PNG of ",
                 w, "x", h, "x", c, " is beyond this reader's limit of ", png_max_decoded_bytes, " decoded bytes");
    int w2 = 0, h2 = 0, c2 = 0;
    stbi_uc* pixels = stbi_load_from_memory(bytes.data(), length, &w2, &h2, &c2, 0);
    LATENT_CHECK(pixels != nullptr, io_error, name, ": corrupt PNG (", stbi_failure_reason(), ")");
    image out;
    out.width = w2;
    out.height = h2;
    out.channels = c2;
    out.pixels.assign(pixels, pixels + std::size_t(w2) * std::size_t(h2) * std::size_t(c2));
    stbi_image_free(pixels);
    return out;
}

/// Reads a PNG file (see decode_png); io_error naming the file if it cannot be read or decoded.
inline image read_png(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::vector<std::uint8_t> bytes;
    {
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(name.c_str(), "rb"), &std::fclose);
        LATENT_CHECK(f != nullptr, io_error, name, ": cannot open: ", detail::errno_text(errno));
        std::uint8_t buffer[1 << 16];
        std::size_t got = 0;
        while ((got = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) {
            bytes.insert(bytes.end(), buffer, buffer + got);
            LATENT_CHECK(bytes.size() <= png_max_decoded_bytes, io_error, name, ": file is larger than ",
                         png_max_decoded_bytes, " bytes");
        }
        LATENT_CHECK(!std::ferror(f.get()), io_error, name, ": read error: ", detail::errno_text(errno));
    }
    return decode_png(bytes, name);
}

/// How make_grid lays out its images. Fluent: `grid_options{}.padding(2).scale(3).title("samples")`.
///   padding        pixels between cells and around the grid (>= 0; default 2)
///   scale          each image pixel becomes scale×scale output pixels (>= 1; default 1)
///   background     gray level in [0, 1] of padding and caption rows (default 1, white); text
///                  is black on a light background, white on a dark one
///   title          a caption line above the grid (default none)
///   column_labels  one caption per column, above it (none, or exactly `cols` of them)
///   row_labels     one caption per row, left of it (none, or exactly `rows` of them)
///   text_scale     font pixel size (>= 1; default 1: 5×7-pixel letters)
class grid_options {
public:
    grid_options& padding(int v) { padding_ = v; return *this; }
    grid_options& scale(int v) { scale_ = v; return *this; }
    grid_options& background(float v) { background_ = v; return *this; }
    grid_options& title(std::string v) { title_ = std::move(v); return *this; }
    grid_options& column_labels(std::vector<std::string> v) { column_labels_ = std::move(v); return *this; }
    grid_options& row_labels(std::vector<std::string> v) { row_labels_ = std::move(v); return *this; }
    grid_options& text_scale(int v) { text_scale_ = v; return *this; }

    int padding() const { return padding_; }
    int scale() const { return scale_; }
    float background() const { return background_; }
    const std::string& title() const { return title_; }
    const std::vector<std::string>& column_labels() const { return column_labels_; }
    const std::vector<std::string>& row_labels() const { return row_labels_; }
    int text_scale() const { return text_scale_; }

    /// Throws config_error naming the option at fault.
    void validate() const {
        LATENT_CHECK(padding_ >= 0 && padding_ <= 1000, config_error, "grid_options: padding must be in [0, 1000], not ",
                     padding_);
        LATENT_CHECK(scale_ >= 1 && scale_ <= 64, config_error, "grid_options: scale must be in [1, 64], not ", scale_);
        LATENT_CHECK(text_scale_ >= 1 && text_scale_ <= 16, config_error,
                     "grid_options: text_scale must be in [1, 16], not ", text_scale_);
        LATENT_CHECK(background_ >= 0.0f && background_ <= 1.0f, config_error,
                     "grid_options: background must be in [0, 1], not ", background_);
    }

private:
    int padding_ = 2;
    int scale_ = 1;
    float background_ = 1.0f;
    std::string title_;
    std::vector<std::string> column_labels_;
    std::vector<std::string> row_labels_;
    int text_scale_ = 1;
};

/// Where make_grid puts things: the canvas size and each cell's top-left corner.
///   cell (r, c) starts at x = left + c·(cell_width + padding), y = top + r·(cell_height + padding),
///   with cell_width = W·scale, cell_height = H·scale;
///   top = padding + (title ? band : 0) + (column labels ? band : 0), band = 9·text_scale
///   (7 rows of letters with one blank row above and below);
///   left = padding + (row labels ? widest row label + 2·text_scale : 0);
///   the canvas is left + cols·(cell_width + padding) wide (widened to fit the title if
///   needed) and top + rows·(cell_height + padding) high.
struct grid_layout {
    int rows = 0, cols = 0;
    int cell_width = 0, cell_height = 0;
    int padding = 0;
    int band = 0;  // height of one caption line
    int title_y = 0, column_labels_y = 0;
    int top = 0, left = 0;
    int width = 0, height = 0;

    int cell_x(int col) const { return left + col * (cell_width + padding); }
    int cell_y(int row) const { return top + row * (cell_height + padding); }

    /// The layout of `rows`×`cols` images of `height`×`width` pixels under `options`.
    static grid_layout compute(int rows, int cols, int height, int width, const grid_options& options) {
        options.validate();
        LATENT_CHECK(rows >= 1 && cols >= 1, config_error, "make_grid: a grid of ", rows, "x", cols,
                     " cells; it needs at least one row and one column");
        LATENT_CHECK(options.column_labels().empty() || options.column_labels().size() == std::size_t(cols),
                     config_error, "make_grid: ", options.column_labels().size(), " column labels for ", cols,
                     " columns");
        LATENT_CHECK(options.row_labels().empty() || options.row_labels().size() == std::size_t(rows), config_error,
                     "make_grid: ", options.row_labels().size(), " row labels for ", rows, " rows");
        const std::int64_t cw = std::int64_t(width) * options.scale(), ch = std::int64_t(height) * options.scale();
        const int ts = options.text_scale(), p = options.padding();
        LATENT_CHECK(height >= 1 && width >= 1 && (cw + p) * cols <= (std::int64_t{1} << 28) &&
                         (ch + p) * rows <= (std::int64_t{1} << 28),
                     config_error, "make_grid: ", rows, "x", cols, " cells of ", height, "x", width, " pixels at scale ",
                     options.scale(), " make too large a canvas");
        grid_layout g;
        g.rows = rows;
        g.cols = cols;
        g.cell_width = static_cast<int>(cw);
        g.cell_height = static_cast<int>(ch);
        g.padding = p;
        g.band = (detail::glyph_height + 2) * ts;
        g.title_y = p;
        g.column_labels_y = p + (options.title().empty() ? 0 : g.band);
        g.top = g.column_labels_y + (options.column_labels().empty() ? 0 : g.band);
        int label_width = 0;
        for (const auto& l : options.row_labels()) label_width = std::max(label_width, detail::text_width(l, ts));
        g.left = p + (options.row_labels().empty() ? 0 : label_width + 2 * ts);
        const std::int64_t w = g.left + std::int64_t(cols) * (cw + p);
        const std::int64_t h = g.top + std::int64_t(rows) * (ch + p);
        const std::int64_t title_w = 2 * std::int64_t(p) + detail::text_width(options.title(), ts);
        const std::int64_t canvas_w = std::max(w, title_w);
        LATENT_CHECK(canvas_w * h <= (std::int64_t{1} << 28), config_error, "make_grid: a ", canvas_w, "x", h,
                     " canvas is too large");
        g.width = static_cast<int>(canvas_w);
        g.height = static_cast<int>(h);
        return g;
    }
};

/// A grid of `rows`×`cols` images, filled row by row, from planar floats
/// [n, channels, height, width] in [0, 1] (clamped). Cells beyond the n-th stay background.
/// requires: channels 1 or 3; values.size() == n·channels·height·width; n <= rows·cols
///           (shape_error otherwise); options valid (config_error).
/// ensures:  the image has `channels` channels and grid_layout::compute's size; each image's
///           pixel (x, y) fills the scale×scale square at (cell_x + x·scale, cell_y + y·scale).
inline image make_grid(std::span<const float> values, std::int64_t n, int channels, int height, int width, int rows,
                       int cols, const grid_options& options = {}) {
    LATENT_CHECK(channels == 1 || channels == 3, shape_error, "make_grid: ", channels,
                 " channels; a picture has 1 (gray) or 3 (RGB)");
    LATENT_CHECK(n >= 0 && height >= 1 && width >= 1, shape_error, "make_grid: ", n, " images of ", height, "x", width);
    const std::size_t per = std::size_t(channels) * std::size_t(height) * std::size_t(width);
    LATENT_CHECK(values.size() == std::size_t(n) * per, shape_error, "make_grid: ", values.size(), " values for [", n,
                 ", ", channels, ", ", height, ", ", width, "] images");
    const grid_layout g = grid_layout::compute(rows, cols, height, width, options);
    LATENT_CHECK(n <= std::int64_t(rows) * cols, shape_error, "make_grid: ", n, " images do not fit in ", rows, "x",
                 cols, " cells");
    image out(g.width, g.height, channels, to_byte(options.background()));
    const int s = options.scale(), ts = options.text_scale();
    const rgb ink = detail::text_colour_on(options.background());
    const std::size_t plane = std::size_t(height) * std::size_t(width);
    for (std::int64_t k = 0; k < n; ++k) {
        const int x0 = g.cell_x(static_cast<int>(k % cols)), y0 = g.cell_y(static_cast<int>(k / cols));
        const float* src = values.data() + std::size_t(k) * per;
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                for (int c = 0; c < channels; ++c) {
                    const std::uint8_t v = to_byte(src[std::size_t(c) * plane + std::size_t(y) * width + x]);
                    for (int dy = 0; dy < s; ++dy)
                        for (int dx = 0; dx < s; ++dx) out.at(x0 + x * s + dx, y0 + y * s + dy, c) = v;
                }
    }
    if (!options.title().empty()) {
        const int tw = detail::text_width(options.title(), ts);
        const int x = std::max(options.padding(), (g.width - tw) / 2);
        detail::draw_text(out, x, g.title_y + ts, options.title(), ink, ts);
    }
    for (int c = 0; c < static_cast<int>(options.column_labels().size()); ++c) {
        const auto& label = options.column_labels()[std::size_t(c)];
        const int x = g.cell_x(c) + (g.cell_width - detail::text_width(label, ts)) / 2;
        detail::draw_text(out, std::max(x, 0), g.column_labels_y + ts, label, ink, ts);
    }
    for (int r = 0; r < static_cast<int>(options.row_labels().size()); ++r) {
        const int y = g.cell_y(r) + (g.cell_height - detail::text_height(ts)) / 2;
        detail::draw_text(out, options.padding(), y, options.row_labels()[std::size_t(r)], ink, ts);
    }
    return out;
}

/// A grid of the images of a [N, C, H, W] tensor (C 1 or 3); see the span overload.
inline image make_grid(const tensor<float, cpu>& images, int rows, int cols, const grid_options& options = {}) {
    const auto& s = images.shape();
    LATENT_CHECK(s.rank() == 4, shape_error, "make_grid: images of shape ", s, " are not [N, C, H, W]");
    const std::vector<float> v = images.to_vector();
    return make_grid(v, s[0], static_cast<int>(s[1]), static_cast<int>(s[2]), static_cast<int>(s[3]), rows, cols,
                     options);
}

/// make_grid written as a PNG file, atomically.
inline void write_grid_png(const std::filesystem::path& path, const tensor<float, cpu>& images, int rows, int cols,
                           const grid_options& options = {}) {
    write_png(path, make_grid(images, rows, cols, options));
}

/// make_grid (span overload) written as a PNG file, atomically.
inline void write_grid_png(const std::filesystem::path& path, std::span<const float> values, std::int64_t n,
                           int channels, int height, int width, int rows, int cols, const grid_options& options = {}) {
    write_png(path, make_grid(values, n, channels, height, width, rows, cols, options));
}

}  // namespace latent
