#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <latent/io/png.hpp>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../support.hpp"

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

namespace {

image random_image(int w, int h, int c, unsigned seed) {
    image img(w, h, c);
    std::mt19937 gen(seed);
    for (auto& p : img.pixels) p = static_cast<std::uint8_t>(gen() & 0xff);
    return img;
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

/// Count of pixels in rows [y0, y1) of a gray image that differ from `background`.
int ink_in_rows(const image& img, int y0, int y1, std::uint8_t background) {
    int n = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = 0; x < img.width; ++x) n += img.at(x, y) != background;
    return n;
}

}  // namespace

TEST_CASE("png: float values become bytes by clamping and rounding") {
    // 0.5·255 = 127.5 rounds away from zero to 128; 0.2·255 = 51 exactly.
    CHECK(to_byte(0.0f) == 0);
    CHECK(to_byte(0.5f) == 128);
    CHECK(to_byte(0.2f) == 51);
    CHECK(to_byte(1.0f) == 255);
    CHECK(to_byte(-3.0f) == 0);
    CHECK(to_byte(7.0f) == 255);
    CHECK(to_byte(std::numeric_limits<float>::quiet_NaN()) == 0);
    CHECK(to_byte(std::numeric_limits<float>::infinity()) == 255);
}

TEST_CASE("png: planar floats are interleaved into pixels") {
    // [C=3, H=1, W=2]: channel planes r = (0, 1), g = (1, 0), b = (0.2, 0.2).
    const std::vector<float> v = {0, 1, 1, 0, 0.2f, 0.2f};
    const image img = image_from_floats(v, 3, 1, 2);
    CHECK(img.width == 2);
    CHECK(img.height == 1);
    CHECK(img.pixels == std::vector<std::uint8_t>{0, 255, 51, 255, 0, 51});
    CHECK_THROWS_AS(image_from_floats(v, 2, 1, 3), shape_error);
    CHECK_THROWS_AS(image_from_floats(v, 3, 1, 3), shape_error);
}

TEST_CASE("png: gray, RGB and RGBA pixels survive encoding and decoding") {
    for (int c : {1, 3, 4}) {
        const image img = random_image(13, 7, c, static_cast<unsigned>(c));
        const auto bytes = encode_png(img);
        const image back = decode_png(bytes, "mem.png");
        CHECK(back.width == 13);
        CHECK(back.height == 7);
        CHECK(back.channels == c);
        CHECK(back.pixels == img.pixels);
    }
}

TEST_CASE("png: write_png replaces the file atomically and read_png reads it back") {
    scratch s("png");
    const fs::path p = s.dir / "a.png";
    const image first = random_image(5, 4, 3, 1), second = random_image(3, 2, 1, 2);
    write_png(p, first);
    write_png(p, second);
    const image back = read_png(p);
    CHECK(back.pixels == second.pixels);
    CHECK(back.channels == 1);
    CHECK(s.listing() == std::set<std::string>{"a.png"});

    // A tensor [C, H, W] with values outside [0, 1] is clamped.
    write_png(p, tensor<float, cpu>::from_host({1, 1, 3}, {-1.0f, 0.2f, 9.0f}));
    CHECK(read_png(p).pixels == std::vector<std::uint8_t>{0, 51, 255});
}

TEST_CASE("png: unreadable or corrupt files give io_error naming the file") {
    scratch s("png");
    const fs::path missing = s.dir / "missing.png";
    CHECK_THROWS_AS(read_png(missing), io_error);
    CHECK(message_of([&] { read_png(missing); }).find("missing.png") != std::string::npos);

    const std::vector<std::uint8_t> junk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK(message_of([&] { decode_png(junk, "junk.png"); }).find("junk.png: not a PNG") != std::string::npos);

    const auto good = encode_png(random_image(32, 32, 3, 3));
    for (std::size_t cut : {std::size_t{8}, std::size_t{20}, std::size_t{40}, good.size() / 2, good.size() - 13}) {
        const std::vector<std::uint8_t> part(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK_THROWS_AS(decode_png(part, "cut.png"), io_error);
        CHECK(message_of([&] { decode_png(part, "cut.png"); }).find("cut.png") != std::string::npos);
    }
    // A JPEG or any other format stb could decode is refused: this reader reads PNG only.
    const std::vector<std::uint8_t> jpeg_start = {0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0};
    CHECK_THROWS_AS(decode_png(jpeg_start, "x.jpg"), io_error);
}

TEST_CASE("png: zero-length IDAT chunks are harmless") {
    // Regression (tests/fuzz_regressions/png/crash-4df2…): stb_image copies an empty first IDAT
    // from a null buffer. An empty IDAT holds no data, so the image must decode as without it.
    const image img = random_image(6, 5, 3, 9);
    const auto good = encode_png(img);
    // The IHDR chunk takes bytes [8, 33); the empty chunks go right after it and before IEND.
    auto empty_idat = [] {
        std::vector<std::uint8_t> c = {0, 0, 0, 0, 'I', 'D', 'A', 'T'};
        const auto crc = static_cast<std::uint32_t>(::crc32(0, c.data() + 4, 4));
        for (int s = 24; s >= 0; s -= 8) c.push_back(static_cast<std::uint8_t>(crc >> s));
        return c;
    }();
    std::vector<std::uint8_t> odd(good.begin(), good.begin() + 33);
    odd.insert(odd.end(), empty_idat.begin(), empty_idat.end());
    odd.insert(odd.end(), good.begin() + 33, good.end() - 12);
    odd.insert(odd.end(), empty_idat.begin(), empty_idat.end());
    odd.insert(odd.end(), good.end() - 12, good.end());
    CHECK(decode_png(odd, "odd.png").pixels == img.pixels);
    CHECK(detail::drop_empty_idat(odd, "odd.png") == good);
    CHECK(detail::drop_empty_idat(good, "good.png").empty());
}

TEST_CASE("png: a chunk claiming more bytes than the file holds is refused with its offset") {
    // Regression (tests/fuzz_regressions/png/oom-7375…): stb_image would first allocate the
    // claimed size. Here the IDAT chunk at byte 33 claims 2^30 bytes.
    auto bytes = encode_png(random_image(2, 2, 1, 4));
    REQUIRE(std::string(bytes.begin() + 37, bytes.begin() + 41) == "IDAT");
    bytes[33] = 0x40;
    bytes[34] = bytes[35] = bytes[36] = 0;
    const std::string msg = message_of([&] { decode_png(bytes, "big.png"); });
    CHECK(msg.find("big.png: PNG chunk at byte 33 claims 1073741824 data bytes but only") != std::string::npos);
    // A PNG cut before its IEND chunk.
    const auto good = encode_png(random_image(2, 2, 1, 4));
    const std::vector<std::uint8_t> no_end(good.begin(), good.end() - 12);
    CHECK(message_of([&] { decode_png(no_end, "cut.png"); }).find("before its IEND chunk") != std::string::npos);
}

TEST_CASE("png: grid cells sit where the layout says, scaled, with padding between them") {
    // Three 2×3 (H×W) gray images, constant 0.2, 0.4, 0.6, in a 2×2 grid, padding 1, scale 2.
    // By hand: cell 6 wide, 4 high; left = top = 1; cell_x(1) = 1 + 7 = 8; cell_y(1) = 1 + 5 = 6;
    // canvas 1 + 2·7 = 15 wide and 1 + 2·5 = 11 high.
    std::vector<float> v;
    for (float level : {0.2f, 0.4f, 0.6f}) v.insert(v.end(), 6, level);
    const auto opts = grid_options{}.padding(1).scale(2).background(1.0f);
    const grid_layout g = grid_layout::compute(2, 2, 2, 3, opts);
    CHECK(g.cell_x(0) == 1);
    CHECK(g.cell_x(1) == 8);
    CHECK(g.cell_y(1) == 6);
    CHECK(g.width == 15);
    CHECK(g.height == 11);
    const image img = make_grid(v, 3, 1, 2, 3, 2, 2, opts);
    REQUIRE(img.width == 15);
    REQUIRE(img.height == 11);
    for (int y = 0; y < 11; ++y)
        for (int x = 0; x < 15; ++x) {
            const bool col0 = x >= 1 && x < 7, col1 = x >= 8 && x < 14;
            const bool row0 = y >= 1 && y < 5, row1 = y >= 6 && y < 10;
            std::uint8_t want = 255;  // padding, and the empty fourth cell
            if (row0 && col0) want = 51;
            if (row0 && col1) want = 102;
            if (row1 && col0) want = 153;
            CAPTURE(x);
            CAPTURE(y);
            CHECK(img.at(x, y) == want);
        }
}

TEST_CASE("png: a grid from an NCHW tensor keeps the colour channels") {
    // One 1×1 RGB image (r, g, b) = (1, 0, 0.2), no padding.
    const auto t = tensor<float, cpu>::from_host({1, 3, 1, 1}, {1.0f, 0.0f, 0.2f});
    const image img = make_grid(t, 1, 1, grid_options{}.padding(0));
    CHECK(img.pixels == std::vector<std::uint8_t>{255, 0, 51});
    CHECK_THROWS_AS(make_grid(tensor<float, cpu>::from_host({3}, {1, 2, 3}), 1, 1), shape_error);
    CHECK_THROWS_AS(make_grid(t, 0, 1), config_error);
}

TEST_CASE("png: a title puts ink in the caption band and nowhere else") {
    const std::vector<float> v(4 * 4 * 4, 1.0f);  // four white 4×4 images on a white background
    const auto plain = make_grid(v, 4, 1, 4, 4, 1, 4, grid_options{}.padding(2));
    const auto titled = make_grid(v, 4, 1, 4, 4, 1, 4, grid_options{}.padding(2).title("AB"));
    const grid_layout g = grid_layout::compute(1, 4, 4, 4, grid_options{}.padding(2).title("AB"));
    CHECK(titled.height == plain.height + 9);  // one band: 7 rows of letters and a blank row above and below
    CHECK(ink_in_rows(plain, 0, plain.height, 255) == 0);
    // The band holds rows [2, 11); the letters its rows [3, 10).
    CHECK(ink_in_rows(titled, 3, 10, 255) > 10);
    CHECK(ink_in_rows(titled, 0, 3, 255) == 0);
    CHECK(ink_in_rows(titled, 10, titled.height, 255) == 0);
    CHECK(g.top == 2 + 9);

    // Column and row labels: a band above the cells and a margin to their left.
    const auto labelled = make_grid(v, 4, 1, 4, 4, 2, 2,
                                    grid_options{}.padding(2).column_labels({"a", "b"}).row_labels({"x", "yy"}));
    const grid_layout gl =
        grid_layout::compute(2, 2, 4, 4, grid_options{}.padding(2).column_labels({"a", "b"}).row_labels({"x", "yy"}));
    CHECK(gl.left == 2 + 11 + 2);  // "yy" is 2·6 - 1 = 11 pixels wide
    CHECK(gl.top == 2 + 9);
    CHECK(ink_in_rows(labelled, 3, 10, 255) > 0);
    CHECK_THROWS_AS(make_grid(v, 4, 1, 4, 4, 2, 2, grid_options{}.column_labels({"a"})), config_error);

    // On a dark background the text is white.
    const std::vector<float> dark(16, 0.0f);
    const auto night = make_grid(dark, 1, 1, 4, 4, 1, 1, grid_options{}.background(0.0f).title("A"));
    int white = 0;
    for (auto p : night.pixels) white += p == 255;
    CHECK(white > 5);
}

TEST_CASE("png: a wide title widens the canvas instead of being cut") {
    const std::vector<float> v(4, 0.0f);
    const std::string title = "a title far wider than one tiny image";
    const auto img = make_grid(v, 1, 1, 2, 2, 1, 1, grid_options{}.padding(1).title(title));
    CHECK(img.width == 2 * 1 + detail::text_width(title));
}

TEST_CASE("png: the font has one distinct glyph per printable character") {
    std::set<std::array<std::uint8_t, 7>> seen;
    for (int c = 32; c < 127; ++c) {
        const auto& g = detail::glyph(static_cast<char>(c));
        int ink = 0;
        for (auto row : g) {
            CHECK(row < 32);  // five columns only
            ink += __builtin_popcount(row);
        }
        CAPTURE(c);
        if (c == ' ') CHECK(ink == 0);
        else CHECK(ink > 0);
        seen.insert(g);
    }
    CHECK(seen.size() == 95);
    // Outside 32..126: drawn as '?'.
    CHECK(detail::glyph('\n') == detail::glyph('?'));
    CHECK(detail::text_width("") == 0);
    CHECK(detail::text_width("ab") == 11);
    CHECK(detail::text_width("ab", 3) == 33);
}

TEST_CASE("png: drawn text puts the glyph's ink at the right pixels") {
    // '-' is a full row of five in the middle (row 3); at scale 2 it becomes a 10×2 bar.
    image img(20, 20, 1, 0);
    detail::draw_text(img, 4, 5, "-", rgb{255, 255, 255}, 2);
    int ink = 0;
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 20; ++x) {
            const bool want = x >= 4 && x < 14 && y >= 11 && y < 13;
            ink += img.at(x, y) != 0;
            CAPTURE(x);
            CAPTURE(y);
            CHECK((img.at(x, y) == 255) == want);
        }
    CHECK(ink == 20);
    // '|' is the middle column; text drawn past the edge is clipped, not written out of bounds.
    image small(3, 3, 3, 0);
    detail::draw_text(small, -2, -2, "|||", rgb{10, 20, 30});
    CHECK(small.at(0, 0, 0) == 10);
    CHECK(small.at(0, 0, 2) == 30);
    CHECK(small.at(1, 0, 0) == 0);
}
