#include <doctest/doctest.h>

#include <latent/data/image_folder.hpp>

#include "../support.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

namespace {
struct colour {
    int r, g, b;
};
/// A w×h RGB image (row-major, interleaved) painted by f(x, y).
template <class F>
std::vector<std::uint8_t> paint(int w, int h, F f) {
    std::vector<std::uint8_t> px(std::size_t(w) * std::size_t(h) * 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const colour c = f(x, y);
            std::uint8_t* p = &px[(std::size_t(y) * std::size_t(w) + std::size_t(x)) * 3];
            p[0] = std::uint8_t(c.r);
            p[1] = std::uint8_t(c.g);
            p[2] = std::uint8_t(c.b);
        }
    return px;
}
void append(void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}
std::vector<std::uint8_t> jpeg(int w, int h, const std::vector<std::uint8_t>& px) {
    std::vector<std::uint8_t> out;
    REQUIRE(stbi_write_jpg_to_func(append, &out, w, h, 3, px.data(), 95) == 1);
    return out;
}
std::vector<std::uint8_t> png(int w, int h, const std::vector<std::uint8_t>& px) {
    std::vector<std::uint8_t> out;
    REQUIRE(stbi_write_png_to_func(append, &out, w, h, 3, px.data(), w * 3) == 1);
    return out;
}
void write(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
std::vector<std::uint8_t> solid(int w, int h, colour c) {
    return paint(w, h, [&](int, int) { return c; });
}
/// The value of channel c at (row, col) of a CHW image of side s.
float at(const std::vector<float>& x, int s, int c, int row, int col) {
    return x[std::size_t(c) * std::size_t(s * s) + std::size_t(row) * std::size_t(s) + std::size_t(col)];
}
/// Whether every pixel of a CHW image is within tol of colour c (0-255).
bool all_near(const std::vector<float>& x, int s, colour c, float tol) {
    const int v[3] = {c.r, c.g, c.b};
    for (int ch = 0; ch < 3; ++ch)
        for (int i = 0; i < s * s; ++i)
            if (std::abs(x[std::size_t(ch * s * s + i)] - float(v[ch]) / 255.0f) > tol) return false;
    return true;
}
std::string message_of(auto&& f) {
    try {
        f();
    } catch (const io_error& e) {
        return e.what();
    }
    return "(no io_error)";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
constexpr float jpeg_tol = 4.0f / 255.0f;  // stb's quality-95 JPEG, 4:4:4, on a flat colour

// Inputs found by fuzzing decode_image (libFuzzer, ASan + UBSan), kept as regression cases.
// A JPEG whose scan uses a Huffman table no DHT defined: stb 2.27 hit an assertion (abort).
const std::vector<std::uint8_t> fuzz_jpeg_undefined_table = {
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0xff, 0xdb, 0x00, 0x84, 0x00, 0x03, 0x02, 0x02, 0x03, 0x02, 0x02, 0x03, 0x03, 0x03, 0x03, 0x04, 0x03, 0x03, 0x04, 0x05,
    0x08, 0x05, 0x05, 0x04, 0x04, 0x05, 0x0a, 0x07, 0x07, 0x06, 0x08, 0x0c, 0x0a, 0x0c, 0x0c, 0x0b, 0x0a, 0x0b, 0x0b, 0x0d,
    0x0e, 0x12, 0x10, 0x0d, 0x0e, 0x11, 0x0e, 0x0b, 0x0b, 0x10, 0x16, 0x10, 0x11, 0x13, 0x14, 0x15, 0x15, 0x15, 0x0c, 0x0f,
    0x17, 0x18, 0x16, 0x14, 0x18, 0x12, 0x14, 0x15, 0x14, 0x01, 0x03, 0x04, 0x04, 0x05, 0x04, 0x05, 0x09, 0x05, 0x05, 0x09,
    0x14, 0x0d, 0x0b, 0x0d, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14,
    0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14,
    0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0x14, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00,
    0x06, 0x00, 0x08, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xc4, 0x01, 0xa2, 0x00, 0x00, 0x01,
    0x05, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x01, 0x02, 0x03, 0x04, 0x60,
    0x67, 0xea, 0x13, 0x51, 0x56, 0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0x03, 0x02, 0x04, 0x03, 0x05, 0x05, 0x04, 0x04, 0x00,
    0x00, 0x01, 0x7d, 0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x30, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
    0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82,
    0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a,
    0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66,
    0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
    0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3,
    0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5,
    0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5,
    0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0x01, 0x00, 0x03, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x00, 0x29, 0x0a, 0x0b, 0x11, 0x00, 0x02, 0x01, 0x02, 0x04,
    0x04, 0x03, 0x04, 0x07, 0x05, 0x04, 0x04, 0x00, 0x01, 0x02, 0x77, 0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31,
    0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23,
    0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27,
    0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x01, 0x00, 0x00, 0x0e, 0x13, 0x54, 0x55,
    0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79,
    0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2,
    0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4,
    0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6,
    0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01, 0x00,
    0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00, 0xb9, 0xe0, 0x2f, 0x87, 0xd6, 0x0a, 0x0a, 0xc3, 0x67, 0xdd, 0x3e, 0xb3, 0xff,
    0x00, 0x0c, 0xfd, 0xe2, 0xef, 0xfa, 0x15, 0xfc, 0x2b, 0xff, 0x00, 0x85, 0x1a, 0xbf, 0x5c, 0xc7, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x80, 0x89, 0x5d, 0x31, 0x8f, 0x26, 0x89, 0xff, 0x00, 0x5f, 0x9f, 0xdf, 0x76, 0x73, 0x39, 0x37, 0x6b,
    0xf4, 0x3f, 0xff, 0xd9,
};
// A PNG whose IDAT claims about 1 GB in a 199-byte file: stb 2.27 allocated 2 GB for it.
const std::vector<std::uint8_t> fuzz_png_greedy_chunk = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x08,
    0x00, 0x00, 0x00, 0x06, 0x08, 0x02, 0x00, 0x00, 0x00, 0x71, 0x67, 0x48, 0xac, 0x00, 0x00, 0x00, 0x2a, 0x49, 0x44, 0x41,
    0x54, 0x78, 0x5e, 0x63, 0x64, 0x60, 0xe7, 0x13, 0xc5, 0x06, 0x3d, 0x57, 0xac, 0xdf, 0x86, 0x50, 0x4e, 0x47, 0x0d, 0x0a,
    0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x08, 0x02,
    0x00, 0x00, 0x00, 0x71, 0x67, 0x4c, 0xac, 0x00, 0x00, 0x00, 0x2a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0x63, 0x64, 0x60,
    0xe7, 0x13, 0xc5, 0x06, 0x3d, 0x57, 0xac, 0xdf, 0x86, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
    0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x06, 0x08, 0x02, 0x00, 0x00, 0x53, 0x61, 0x00, 0x00,
    0x20, 0x70, 0x00, 0x13, 0x2a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x5e, 0x63, 0x64, 0x60, 0xe7, 0x13, 0xc5, 0x06, 0x3d, 0x47,
    0xff, 0x0f, 0x1a, 0x0a, 0x00, 0x00, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76, 0x76,
    0x76, 0x76, 0x8c, 0x89, 0x89, 0x89, 0x76, 0x00, 0x32, 0x0a, 0x41, 0x20, 0x42, 0x20, 0x20, 0x43, 0x20, 0x0d, 0x0d,
};
}  // namespace

TEST_CASE("image_folder: a flat colour decodes to that colour in every pixel, CHW in [0, 1]") {
    const colour c{200, 40, 90};
    const auto j = jpeg(178, 218, solid(178, 218, c));
    const auto x = data::decode_image(j.data(), j.size(), "flat.jpg", 64);
    REQUIRE(x.size() == 3u * 64 * 64);
    CHECK(all_near(x, 64, c, jpeg_tol));
    // Lossless PNG: the resampled flat colour is exact up to the 8-bit rounding of the resizer.
    const auto p = png(178, 218, solid(178, 218, c));
    CHECK(all_near(data::decode_image(p.data(), p.size(), "flat.png", 64), 64, c, 0.5f / 255.0f));
    // Upscaling works too (a 20×30 image to 64×64).
    const auto small = png(20, 30, solid(20, 30, c));
    CHECK(all_near(data::decode_image(small.data(), small.size(), "small.png", 64), 64, c, 0.5f / 255.0f));
}

TEST_CASE("image_folder: the largest centred square is kept (portrait, landscape, odd margins)") {
    const colour inside{30, 160, 220}, border{250, 250, 0};
    // 178×218 (CelebA's size): the square is rows 20..197. 179×218: rows 19..197 (⌊39/2⌋ = 19 above).
    for (auto [w, h] : {std::pair{178, 218}, std::pair{179, 218}, std::pair{218, 178}, std::pair{218, 179}}) {
        const int m = std::min(w, h), x0 = (w - m) / 2, y0 = (h - m) / 2;
        const auto px = paint(w, h, [&](int x, int y) {
            return (x >= x0 && x < x0 + m && y >= y0 && y < y0 + m) ? inside : border;
        });
        const auto p = png(w, h, px);
        const auto x = data::decode_image(p.data(), p.size(), "band.png", 64);
        CAPTURE(w);
        CAPTURE(h);
        // A plain resize of the whole picture, or a crop one row off, would bring the border colour in.
        CHECK(all_near(x, 64, inside, 0.5f / 255.0f));
        const auto j = jpeg(w, h, px);
        const auto xj = data::decode_image(j.data(), j.size(), "band.jpg", 64);
        // JPEG rings at the band's edge: check all but the outermost output rows and columns.
        float worst = 0;
        for (int ch = 0; ch < 3; ++ch)
            for (int r = 2; r < 62; ++r)
                for (int col = 2; col < 62; ++col) {
                    const int v[3] = {inside.r, inside.g, inside.b};
                    worst = std::max(worst, std::abs(at(xj, 64, ch, r, col) - float(v[ch]) / 255.0f));
                }
        CHECK(worst <= jpeg_tol);
    }
}

TEST_CASE("image_folder: rows run top to bottom, columns left to right, one plane per channel") {
    // Quadrants: red top-left, green top-right, blue bottom-left, white bottom-right.
    const auto px = paint(100, 100, [](int x, int y) {
        if (y < 50) return x < 50 ? colour{255, 0, 0} : colour{0, 255, 0};
        return x < 50 ? colour{0, 0, 255} : colour{255, 255, 255};
    });
    const auto p = png(100, 100, px);
    const auto x = data::decode_image(p.data(), p.size(), "q.png", 20);
    const float e = 0.5f / 255.0f;
    CHECK(std::abs(at(x, 20, 0, 2, 2) - 1) < e);   // red: R plane 1
    CHECK(std::abs(at(x, 20, 1, 2, 2)) < e);       //       G plane 0
    CHECK(std::abs(at(x, 20, 1, 2, 17) - 1) < e);  // green top-right
    CHECK(std::abs(at(x, 20, 0, 2, 17)) < e);
    CHECK(std::abs(at(x, 20, 2, 17, 2) - 1) < e);  // blue bottom-left
    CHECK(std::abs(at(x, 20, 0, 17, 2)) < e);
    for (int ch = 0; ch < 3; ++ch) CHECK(std::abs(at(x, 20, ch, 17, 17) - 1) < e);
}

TEST_CASE("image_folder: a linear ramp is resampled at the output pixel centres") {
    // R = x across a 256-wide crop of a 256×300 image: a symmetric resampling filter reproduces a
    // linear function, so output column j holds the input at its centre u = (j + ½)·256/32 - ½.
    const auto px = paint(256, 300, [](int x, int) { return colour{x, 0, 255 - x}; });
    const auto p = png(256, 300, px);
    const auto img = data::decode_image(p.data(), p.size(), "ramp.png", 32);
    for (int j = 2; j < 30; ++j) {
        const float u = (float(j) + 0.5f) * 8.0f - 0.5f;
        CAPTURE(j);
        CHECK(std::abs(at(img, 32, 0, 16, j) - u / 255.0f) <= 1.0f / 255.0f);
        CHECK(std::abs(at(img, 32, 2, 16, j) - (255.0f - u) / 255.0f) <= 1.0f / 255.0f);
    }
}

TEST_CASE("image_folder: files in sorted order, classes from subfolders") {
    scratch s("imgf");
    const colour red{255, 0, 0}, green{0, 255, 0}, blue{0, 0, 255}, grey{128, 128, 128};
    write(s.dir / "cats" / "b.png", png(30, 40, solid(30, 40, green)));
    write(s.dir / "cats" / "a.jpg", jpeg(40, 30, solid(40, 30, red)));
    write(s.dir / "dogs" / "deep" / "x.PNG", png(16, 16, solid(16, 16, blue)));
    write(s.dir / "birds" / "y.jpeg", jpeg(50, 50, solid(50, 50, grey)));
    write(s.dir / "cats" / "notes.txt", {'h', 'i'});
    fs::create_directories(s.dir / "empty_class");

    data::image_folder d(s.dir, {.side = 8, .labels_from_subfolders = true});
    REQUIRE(d.size() == 4);
    CHECK(d.layout().shape == std::vector<std::int64_t>{3, 8, 8});
    CHECK(d.layout().label_width == 1);
    CHECK(d.layout().classes == 3);
    CHECK(d.class_names() == std::vector<std::string>{"birds", "cats", "dogs"});
    CHECK(d.file(0) == s.dir / "birds" / "y.jpeg");
    CHECK(d.file(1) == s.dir / "cats" / "a.jpg");
    CHECK(d.file(2) == s.dir / "cats" / "b.png");
    CHECK(d.file(3) == s.dir / "dogs" / "deep" / "x.PNG");
    const colour colour[4] = {grey, red, green, blue};
    const std::int32_t label[4] = {0, 1, 1, 2};
    std::vector<float> x(3 * 8 * 8);
    for (std::int64_t i = 0; i < 4; ++i) {
        std::int32_t y = -1;
        d.read(i, x.data(), &y);
        CHECK(y == label[i]);
        CHECK(all_near(x, 8, colour[i], jpeg_tol));
    }
    CHECK_THROWS_AS(d.read(4, x.data(), nullptr), shape_error);

    data::image_folder plain(s.dir, {.side = 8});
    CHECK(plain.layout().classes == 1);
    for (auto y : plain.labels()) CHECK(y == 0);

    // With labels on, an image at the top level has no class.
    write(s.dir / "stray.png", png(4, 4, solid(4, 4, red)));
    const auto msg = message_of([&] { data::image_folder(s.dir, {.labels_from_subfolders = true}); });
    CHECK(contains(msg, (s.dir / "stray.png").string()));
}

TEST_CASE("image_folder: the decoded cache is bounded and least-recently-used") {
    scratch s("imgf");
    for (int k = 0; k < 5; ++k)
        write(s.dir / ("img" + std::to_string(k) + ".png"), png(10, 10, solid(10, 10, colour{40 * k, 0, 0})));
    data::image_folder d(s.dir, {.side = 4, .cache_images = 2});
    std::vector<float> x(48);
    std::int32_t y;
    auto read = [&](std::int64_t i) {
        d.read(i, x.data(), &y);
        CHECK(std::abs(x[0] - float(40 * i) / 255.0f) < 1e-6f);  // a hit returns the right image
        CHECK(d.cached() <= 2u);
    };
    read(0);
    read(1);
    read(0);
    CHECK(d.decodes() == 2);
    read(2);  // evicts 1, the least recently used
    CHECK(d.decodes() == 3);
    read(0);
    CHECK(d.decodes() == 3);
    read(1);
    CHECK(d.decodes() == 4);
    const data::image_folder copy = d;  // copies share the cache
    copy.read(0, x.data(), &y);
    CHECK(d.decodes() == 4);

    data::image_folder none(s.dir, {.side = 4, .cache_images = 0});
    for (int r = 0; r < 3; ++r) none.read(1, x.data(), &y);
    CHECK(none.decodes() == 3);
    CHECK(none.cached() == 0u);
}

TEST_CASE("image_folder: concurrent reads through a small cache give the serial results") {
    scratch s("imgf");
    for (int k = 0; k < 12; ++k)
        write(s.dir / (std::to_string(10 + k) + ".png"), png(9, 7, solid(9, 7, colour{20 * k, 255 - 20 * k, 7 * k})));
    data::image_folder d(s.dir, {.side = 6, .cache_images = 3});
    std::vector<std::vector<float>> serial(12, std::vector<float>(108));
    std::int32_t y;
    for (int i = 0; i < 12; ++i) data::load_image(d.file(i), 6).swap(serial[std::size_t(i)]);
    std::vector<int> bad(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            std::vector<float> x(108);
            std::int32_t yy;
            for (int round = 0; round < 50; ++round) {
                const int i = (round * 5 + t * 3) % 12;
                d.read(i, x.data(), &yy);
                if (x != serial[std::size_t(i)]) ++bad[std::size_t(t)];
            }
        });
    for (auto& th : threads) th.join();
    for (int b : bad) CHECK(b == 0);
    CHECK(d.cached() <= 3u);
    (void)y;
}

TEST_CASE("image_folder: bad input is an io_error naming the file") {
    scratch s("imgf");
    // An empty folder, and one that does not exist.
    fs::create_directories(s.dir / "empty" / "sub");
    write(s.dir / "empty" / "sub" / "readme.txt", {'x'});
    auto msg = message_of([&] { data::image_folder(s.dir / "empty"); });
    CHECK(contains(msg, (s.dir / "empty").string()));
    CHECK(contains(msg, "no .jpg"));
    msg = message_of([&] { data::image_folder(s.dir / "absent"); });
    CHECK(contains(msg, (s.dir / "absent").string()));

    const auto good = jpeg(178, 218, solid(178, 218, colour{1, 2, 3}));
    // Every truncation of a JPEG, from the empty file to one byte short of its end marker.
    int caught = 0, tried = 0;
    for (std::size_t n = 0; n + 1 < good.size(); n += (n < 700 ? 1 : 97)) {
        ++tried;
        const std::string m = message_of([&] { data::decode_image(good.data(), n, "cut.jpg", 16); });
        caught += contains(m, "cut.jpg") ? 1 : 0;
    }
    CHECK(caught == tried);
    write(s.dir / "cut" / "a.jpg", {good.begin(), good.begin() + std::ptrdiff_t(good.size() / 2)});
    msg = message_of([&] { data::load_image(s.dir / "cut" / "a.jpg", 16); });
    CHECK(contains(msg, (s.dir / "cut" / "a.jpg").string()));
    CHECK(contains(msg, "Corrupt JPEG"));  // stb's reason is passed on

    // Text named .jpg; an empty file; a missing file.
    write(s.dir / "text.jpg", {'h', 'e', 'l', 'l', 'o', '\n'});
    msg = message_of([&] { data::load_image(s.dir / "text.jpg", 16); });
    CHECK(contains(msg, (s.dir / "text.jpg").string()));
    write(s.dir / "zero.png", {});
    msg = message_of([&] { data::load_image(s.dir / "zero.png", 16); });
    CHECK(contains(msg, (s.dir / "zero.png").string()));
    msg = message_of([&] { data::load_image(s.dir / "nope.png", 16); });
    CHECK(contains(msg, (s.dir / "nope.png").string()));
    // A BMP (which stb could decode) is not taken for a JPEG or PNG.
    std::vector<std::uint8_t> bmp;
    REQUIRE(stbi_write_bmp_to_func(append, &bmp, 4, 4, 3, solid(4, 4, colour{9, 9, 9}).data()) == 1);
    msg = message_of([&] { data::decode_image(bmp.data(), bmp.size(), "x.bmp.jpg", 16); });
    CHECK(contains(msg, "x.bmp.jpg: not a JPEG or PNG file"));

    // A JPEG whose first Huffman table claims 16 × 255 codes: refused before stb reads it (stb 2.27
    // would write past its 256-entry tables, which the sanitizer build would report).
    auto overfull = good;
    std::size_t dht = 2;
    while (dht + 1 < overfull.size() && !(overfull[dht] == 0xff && overfull[dht + 1] == 0xc4)) ++dht;
    REQUIRE(dht + 21 < overfull.size());
    for (std::size_t k = 0; k < 16; ++k) overfull[dht + 5 + k] = 255;  // FF C4, length (2), class/id, counts
    msg = message_of([&] { data::decode_image(overfull.data(), overfull.size(), "dht.jpg", 16); });
    CHECK(contains(msg, "dht.jpg: corrupt JPEG (a Huffman table with more than 256 codes)"));
    CHECK(data::detail::jpeg_unsafe_for_stb(good.data(), good.size()) == nullptr);

    // A scan decoding with Huffman tables that no DHT defined (table 3 of each class).
    auto undefined = good;
    std::size_t sos = 2;
    while (sos + 1 < undefined.size() && !(undefined[sos] == 0xff && undefined[sos + 1] == 0xda)) ++sos;
    REQUIRE(sos + 10 < undefined.size());
    for (std::size_t c = 0; c < undefined[sos + 4]; ++c) undefined[sos + 6 + 2 * c] = 0x33;  // FF DA, length, Ns
    msg = message_of([&] { data::decode_image(undefined.data(), undefined.size(), "undef.jpg", 16); });
    CHECK(contains(msg, "undef.jpg: corrupt JPEG (a scan using a Huffman table that no DHT defined)"));
    // The fuzzers' findings.
    msg = message_of([&] { data::decode_image(fuzz_jpeg_undefined_table.data(), fuzz_jpeg_undefined_table.size(),
                                              "fuzz.jpg", 16); });
    CHECK(contains(msg, "fuzz.jpg: corrupt JPEG"));
    msg = message_of([&] { data::decode_image(fuzz_png_greedy_chunk.data(), fuzz_png_greedy_chunk.size(),
                                              "fuzz.png", 16); });
    CHECK(contains(msg, "fuzz.png: truncated PNG"));

    // A PNG whose data chunk declares 1 GB: refused before stb allocates for it.
    auto greedy = png(8, 6, solid(8, 6, colour{5, 6, 7}));
    std::size_t idat = 8;
    while (idat + 8 < greedy.size() && std::string(greedy.begin() + std::ptrdiff_t(idat) + 4,
                                                   greedy.begin() + std::ptrdiff_t(idat) + 8) != "IDAT")
        idat += 12 + (std::size_t(greedy[idat + 2]) << 8 | greedy[idat + 3]);
    REQUIRE(idat + 8 < greedy.size());
    greedy[idat] = 0x40;  // length 0x40xxxxxx
    msg = message_of([&] { data::decode_image(greedy.data(), greedy.size(), "greedy.png", 16); });
    CHECK(contains(msg, "greedy.png: truncated PNG: PNG chunk at byte " + std::to_string(idat)));

    // A PNG header claiming 20000×10 pixels: refused from the header, before decoding.
    std::vector<std::uint8_t> huge = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                      0,    0,   0x4e, 0x20, 0, 0, 0, 10, 8, 2, 0, 0, 0, 0, 0, 0, 0,
                                      0,    0,   0,    0,    'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    msg = message_of([&] { data::decode_image(huge.data(), huge.size(), "huge.png", 16); });
    CHECK(contains(msg, "huge.png"));
    CHECK(contains(msg, "20000"));

    // A folder whose image turns out bad only when read: the read names it.
    write(s.dir / "later" / "a.png", png(4, 4, solid(4, 4, colour{0, 0, 0})));
    write(s.dir / "later" / "b.png", {'n', 'o', 't'});
    data::image_folder d(s.dir / "later", {.side = 4});
    std::vector<float> x(48);
    std::int32_t y;
    d.read(0, x.data(), &y);
    msg = message_of([&] { d.read(1, x.data(), &y); });
    CHECK(contains(msg, (s.dir / "later" / "b.png").string()));
}
