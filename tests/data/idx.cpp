#include <doctest/doctest.h>

#include <latent/data/idx.hpp>

#include "../support.hpp"

#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <span>

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

namespace {
std::vector<std::uint8_t> idx_bytes(std::vector<std::uint32_t> dims, const std::vector<std::uint8_t>& values) {
    std::vector<std::uint8_t> b = {0, 0, 0x08, static_cast<std::uint8_t>(dims.size())};
    for (auto d : dims)
        for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(d >> s));
    b.insert(b.end(), values.begin(), values.end());
    return b;
}
void write_plain(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
void write_gzip(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    gzFile f = gzopen(p.string().c_str(), "wb");
    REQUIRE(f != nullptr);
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
}
}  // namespace

TEST_CASE("idx: plain and gzip files read back") {
    scratch s("idx");
    const auto bytes = idx_bytes({2, 2, 3}, {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255});
    write_plain(s.dir / "a.idx", bytes);
    write_gzip(s.dir / "a.idx.gz", bytes);
    for (const char* name : {"a.idx", "a.idx.gz"}) {
        const auto a = data::read_idx(s.dir / name);
        CHECK(a.dims == std::vector<std::int64_t>{2, 2, 3});
        CHECK(a.values.size() == 12);
        CHECK(a.values[11] == 255);
    }
}

TEST_CASE("idx: every truncation and bad header is an io_error naming the file") {
    scratch s("idx");
    const auto bytes = idx_bytes({3, 2}, {1, 2, 3, 4, 5, 6});
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + std::ptrdiff_t(n));
        write_plain(s.dir / "t.idx", prefix);
        CHECK_THROWS_AS(data::read_idx(s.dir / "t.idx"), io_error);
        write_gzip(s.dir / "t.idx.gz", prefix);
        CHECK_THROWS_AS(data::read_idx(s.dir / "t.idx.gz"), io_error);
    }
    // truncated compressed stream
    write_gzip(s.dir / "full.gz", bytes);
    auto gz = read_bytes(s.dir / "full.gz");
    for (std::size_t n = 0; n + 1 < gz.size(); ++n) {
        write_plain(s.dir / "cut.gz", {gz.begin(), gz.begin() + std::ptrdiff_t(n)});
        CHECK_THROWS_AS(data::read_idx(s.dir / "cut.gz"), io_error);
    }
    auto bad = bytes;
    bad[0] = 1;
    write_plain(s.dir / "magic.idx", bad);
    const std::string expected = (s.dir / "magic.idx").string() + ": not an IDX file (bad magic)";
    CHECK_THROWS_WITH_AS(data::read_idx(s.dir / "magic.idx"), expected.c_str(), io_error);
    bad = bytes;
    bad[2] = 0x0D;
    write_plain(s.dir / "type.idx", bad);
    CHECK_THROWS_AS(data::read_idx(s.dir / "type.idx"), io_error);
    auto longer = bytes;
    longer.push_back(7);
    write_plain(s.dir / "long.idx", longer);
    CHECK_THROWS_AS(data::read_idx(s.dir / "long.idx"), io_error);
    // a header that claims 4 × 2^32 bytes must not allocate them
    write_plain(s.dir / "huge.idx", idx_bytes({0xFFFFFFFFu, 4}, {1, 2, 3}));
    CHECK_THROWS_AS(data::read_idx(s.dir / "huge.idx"), io_error);
    write_plain(s.dir / "big.idx", idx_bytes({0x10000000u}, {1, 2, 3}));
    CHECK_THROWS_AS(data::read_idx(s.dir / "big.idx"), io_error);
    CHECK_THROWS_AS(data::read_idx(s.dir / "missing.idx"), io_error);
}

TEST_CASE("idx: read_idx_bytes parses in memory and refuses what the file reader refuses") {
    scratch s("idx");
    // gzip bytes as zlib's file writer makes them, read back into memory
    auto gzip_of = [&](const std::vector<std::uint8_t>& bytes) {
        write_gzip(s.dir / "g.gz", bytes);
        return read_bytes(s.dir / "g.gz");
    };
    auto parse = [](const std::vector<std::uint8_t>& b) {
        return data::read_idx_bytes(std::span<const std::uint8_t>(b), "memory");
    };
    const auto good = idx_bytes({2, 2, 3}, {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255});
    for (const auto& b : {good, gzip_of(good)}) {
        const auto a = parse(b);
        CHECK(a.dims == std::vector<std::int64_t>{2, 2, 3});
        REQUIRE(a.values.size() == 12);
        CHECK(a.values[0] == 0);
        CHECK(a.values[11] == 255);
    }
    // two gzip members in a row are one stream, as gzread reads them
    auto two = gzip_of(std::vector<std::uint8_t>(good.begin(), good.begin() + 7));
    const auto rest = gzip_of(std::vector<std::uint8_t>(good.begin() + 7, good.end()));
    two.insert(two.end(), rest.begin(), rest.end());
    CHECK(parse(two).values == std::vector<std::uint8_t>(good.begin() + 16, good.end()));

    const auto bytes = idx_bytes({3, 2}, {1, 2, 3, 4, 5, 6});
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        CAPTURE(n);
        const std::vector<std::uint8_t> prefix(bytes.begin(), bytes.begin() + std::ptrdiff_t(n));
        CHECK_THROWS_AS(parse(prefix), io_error);
        CHECK_THROWS_AS(parse(gzip_of(prefix)), io_error);
    }
    const auto gz = gzip_of(bytes);
    CHECK(parse(gz).values == std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6});
    for (std::size_t n = 0; n + 1 < gz.size(); ++n) {
        CAPTURE(n);
        CHECK_THROWS_AS(parse({gz.begin(), gz.begin() + std::ptrdiff_t(n)}), io_error);
    }
    auto garbage = gz;  // bytes after the gzip stream that are not another member
    garbage.push_back(0);
    CHECK_THROWS_AS(parse(garbage), io_error);
    // A flipped bit after gzip's 10-byte header (in the deflate data, CRC or length) is refused,
    // or changed nothing that the CRC covers: what is read is then the original.
    for (std::size_t k = 10; k < gz.size(); ++k) {
        CAPTURE(k);
        auto corrupt = gz;
        corrupt[k] ^= 0x10;
        std::vector<std::uint8_t> got;
        try {
            got = parse(corrupt).values;
        } catch (const io_error&) {
            continue;
        }
        CHECK(got == std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6});
    }
    auto bad = bytes;
    bad[0] = 1;
    CHECK_THROWS_WITH_AS(parse(bad), "memory: not an IDX file (bad magic)", io_error);
    CHECK_THROWS_WITH_AS(parse(gzip_of(bad)), "memory: not an IDX file (bad magic)", io_error);
    bad = bytes;
    bad[2] = 0x0D;
    CHECK_THROWS_AS(parse(bad), io_error);
    CHECK_THROWS_AS(parse(gzip_of(bad)), io_error);
    auto longer = bytes;
    longer.push_back(7);
    CHECK_THROWS_AS(parse(longer), io_error);
    CHECK_THROWS_AS(parse(gzip_of(longer)), io_error);
    CHECK_THROWS_AS(parse(idx_bytes({0xFFFFFFFFu, 4}, {1, 2, 3})), io_error);
    CHECK_THROWS_AS(parse(gzip_of(idx_bytes({0xFFFFFFFFu, 4}, {1, 2, 3}))), io_error);
    CHECK_THROWS_AS(parse(idx_bytes({0x10000000u}, {1, 2, 3})), io_error);
    CHECK_THROWS_AS(parse(gzip_of(idx_bytes({0x10000000u}, {1, 2, 3}))), io_error);
    CHECK_THROWS_AS(parse({}), io_error);
}

TEST_CASE("idx: mutated files load or throw io_error, nothing else") {
    scratch s("idx");
    const auto bytes = idx_bytes({4, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    std::mt19937 gen(7);
    for (int trial = 0; trial < 500; ++trial) {
        auto b = bytes;
        const int flips = 1 + int(gen() % 3);
        for (int k = 0; k < flips; ++k) b[gen() % b.size()] = static_cast<std::uint8_t>(gen());
        write_plain(s.dir / "m.idx", b);
        try {
            const auto a = data::read_idx(s.dir / "m.idx");
            std::int64_t n = 1;
            for (auto d : a.dims) n *= d;
            CHECK(static_cast<std::size_t>(n) == a.values.size());
        } catch (const io_error&) {
        }
    }
}

TEST_CASE("idx: image and label files must agree") {
    scratch s("idx");
    write_plain(s.dir / "img.idx", idx_bytes({2, 2, 2}, {0, 255, 0, 255, 255, 0, 255, 0}));
    write_plain(s.dir / "lab.idx", idx_bytes({2}, {3, 1}));
    write_plain(s.dir / "lab3.idx", idx_bytes({3}, {3, 1, 2}));
    write_plain(s.dir / "lab_bad.idx", idx_bytes({2}, {3, 10}));
    const auto d = data::load_idx_images(s.dir / "img.idx", s.dir / "lab.idx");
    CHECK(d.images.shape() == latent::shape{2, 1, 2, 2});
    CHECK(d.images.to_vector()[1] == 1.0f);
    CHECK(d.labels.to_vector() == std::vector<std::int32_t>{3, 1});
    CHECK_THROWS_AS(data::load_idx_images(s.dir / "img.idx", s.dir / "lab3.idx"), io_error);
    CHECK_THROWS_AS(data::load_idx_images(s.dir / "img.idx", s.dir / "lab_bad.idx"), io_error);
}

TEST_CASE("idx: the real Fashion-MNIST test split") {
    if (!fs::exists(data::fashion_mnist_default_dir / "t10k-images-idx3-ubyte.gz")) {
        MESSAGE("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); skipped");
        return;
    }
    const auto test = data::load_fashion_mnist(data::split::test);
    CHECK(test.images.shape() == latent::shape{10000, 1, 28, 28});
    const auto labels = test.labels.to_vector();
    std::vector<int> counts(10);
    for (auto y : labels) ++counts[static_cast<std::size_t>(y)];
    for (int c : counts) CHECK(c == 1000);  // the test split is balanced
    CHECK(labels[0] == 9);                  // its first image is an ankle boot
}

TEST_CASE("idx: load_idx_dataset holds the bytes and reads what load_idx_images gives") {
    scratch s("idx");
    write_gzip(s.dir / "img.idx.gz", idx_bytes({3, 2, 3}, {0, 1, 2, 3, 4, 5, 128, 129, 130, 131, 132, 133, 250, 251,
                                                           252, 253, 254, 255}));
    write_plain(s.dir / "lab.idx", idx_bytes({3}, {4, 0, 9}));
    const auto d = data::load_idx_dataset(s.dir / "img.idx.gz", s.dir / "lab.idx");
    static_assert(data::source<decltype(d)>);
    CHECK(d.size() == 3);
    CHECK(d.layout().shape == std::vector<std::int64_t>{1, 2, 3});
    CHECK(d.layout().label_width == 1);
    CHECK(d.layout().classes == 10);
    CHECK(d.layout().label_names == std::vector<std::string>{"class"});
    CHECK(d.labels() == std::vector<std::int32_t>{4, 0, 9});
    const auto ref = data::load_idx_images(s.dir / "img.idx.gz", s.dir / "lab.idx");
    const auto pixels = ref.images.to_vector();
    for (std::int64_t i = 0; i < 3; ++i) {
        float x[6];
        std::int32_t y = -1;
        d.read(i, x, &y);
        CHECK(y == ref.labels.to_vector()[std::size_t(i)]);
        for (int k = 0; k < 6; ++k) {
            CHECK(x[k] == pixels[std::size_t(i * 6 + k)]);  // bit for bit
            // and each is its byte over 255, to the float's rounding
            const int byte = (i == 0 ? 0 : i == 1 ? 128 : 250) + k;
            CHECK(x[k] == doctest::Approx(byte / 255.0).epsilon(1e-7));
        }
    }
    // the same checks as the tensor loader, through the shared reader
    write_plain(s.dir / "lab2.idx", idx_bytes({2}, {1, 1}));
    write_plain(s.dir / "lab_bad.idx", idx_bytes({3}, {1, 10, 1}));
    CHECK_THROWS_AS(data::load_idx_dataset(s.dir / "img.idx.gz", s.dir / "lab2.idx"), io_error);
    CHECK_THROWS_AS(data::load_idx_dataset(s.dir / "img.idx.gz", s.dir / "lab_bad.idx"), io_error);
    CHECK_THROWS_AS(data::load_idx_dataset(s.dir / "lab.idx", s.dir / "lab.idx"), io_error);  // rank 1 images
    CHECK_NOTHROW(data::load_idx_dataset(s.dir / "img.idx.gz", s.dir / "lab_bad.idx", 11));
    CHECK_THROWS_AS(data::load_idx_dataset(s.dir / "img.idx.gz", s.dir / "lab.idx", 0), config_error);
}

TEST_CASE("idx: fashion_mnist as bytes matches load_fashion_mnist and holds a byte per pixel") {
    if (!fs::exists(data::fashion_mnist_default_dir / "t10k-images-idx3-ubyte.gz")) {
        MESSAGE("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist); skipped");
        return;
    }
#if !defined(__SANITIZE_ADDRESS__)
    // What the loaded set keeps on the heap, by glibc's count (sanitizers replace malloc: skipped there).
    const std::size_t before = mallinfo2().uordblks + mallinfo2().hblkhd;
#endif
    const auto test = data::fashion_mnist(data::split::test);
#if !defined(__SANITIZE_ADDRESS__)
    const std::size_t held = mallinfo2().uordblks + mallinfo2().hblkhd - before;
    // 10 000 × 784 bytes of pixels and 10 000 int32 labels; as floats the pixels alone would be 31.4 MB.
    CHECK(held >= 10000u * 784u);
    CHECK(held < 10000u * 784u + 10000u * 4u + 100000u);
#endif
    CHECK(test.size() == 10000);
    CHECK(test.layout().shape == std::vector<std::int64_t>{1, 28, 28});
    CHECK(test.layout().classes == 10);
    const auto ref = data::load_fashion_mnist(data::split::test);
    const auto pixels = ref.images.to_vector();
    const auto labels = ref.labels.to_vector();
    CHECK(test.labels() == labels);
    std::vector<float> x(784);
    std::size_t mismatches = 0;
    for (std::int64_t i = 0; i < 10000; ++i) {
        std::int32_t y;
        test.read(i, x.data(), &y);
        for (std::size_t k = 0; k < 784; ++k) mismatches += x[k] != pixels[std::size_t(i) * 784 + k];
    }
    CHECK(mismatches == 0);
}
