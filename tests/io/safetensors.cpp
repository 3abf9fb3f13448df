#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latent/io/safetensors.hpp>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../support.hpp"

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;
using bytes_t = std::vector<std::uint8_t>;

namespace {

void write_file(const fs::path& p, const bytes_t& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
}

fs::path fixture_path() { return fs::path(LATENT_SOURCE_DIR) / "tests/reference/fixture.safetensors"; }

/// The tensors tests/reference/safetensors_fixture.py writes, built here from latent tensors and
/// handed to the writer in an order of our own (not the file's), so the writer must sort them.
std::vector<named_tensor> fixture_tensors() {
    const float tiny = std::ldexp(1.0f, -130);  // a float32 denormal, exact
    std::vector<named_tensor> out;
    out.push_back(to_named_tensor("zeta.\xc3\xbc", tensor<std::uint8_t>::from_host({1}, {42})));
    out.push_back(to_named_tensor(
        "weight",
        tensor<float>::from_host({2, 3}, {0.5f, -1.25f, 3.0f, -0.0f, std::numeric_limits<float>::infinity(), tiny})));
    out.push_back(to_named_tensor("pixels", tensor<std::uint8_t>::from_host({2, 2}, {0, 1, 128, 255})));
    out.push_back(to_named_tensor("scale", tensor<float>::scalar(2.0f)));
    out.push_back(
        to_named_tensor("labels", tensor<std::int32_t>::from_host({4}, {0, -1, std::numeric_limits<std::int32_t>::max(),
                                                                        std::numeric_limits<std::int32_t>::min()})));
    out.push_back(to_named_tensor("kernel", tensor<double>::from_host({1, 2, 1, 2}, {1.0, -1.0, 0.25, -0.25})));
    out.push_back(to_named_tensor("empty", tensor<float>(shape{0, 3})));
    out.push_back(to_named_tensor("bias", tensor<double>::from_host({3}, {0.1, -2.5, 1e300})));
    return out;
}
safetensors_metadata fixture_metadata() { return {{"epoch", "7"}, {"note", "fixture \xc2\xb5 \xe2\x9c\x93!"}}; }

template <class T>
std::vector<std::uint64_t> bit_patterns(const std::vector<T>& v) {
    std::vector<std::uint64_t> out;
    for (T x : v) {
        if constexpr (sizeof(T) == 4)
            out.push_back(std::bit_cast<std::uint32_t>(x));
        else
            out.push_back(std::bit_cast<std::uint64_t>(x));
    }
    return out;
}

/// A file of the length field `n`, then `rest` (a header, usually) and `data`.
bytes_t with_length(std::uint64_t n, const std::string& rest, const bytes_t& data = {}) {
    bytes_t out(8 + rest.size() + data.size());
    for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
    if (!rest.empty()) std::memcpy(out.data() + 8, rest.data(), rest.size());
    if (!data.empty()) std::memcpy(out.data() + 8 + rest.size(), data.data(), data.size());
    return out;
}
/// A file from a header written out by hand (no padding) and its data buffer.
bytes_t make_file(const std::string& header, const bytes_t& data = {}) {
    return with_length(header.size(), header, data);
}
bytes_t zeros(std::size_t n) { return bytes_t(n, 0); }

constexpr const char* hostile_label = "hostile.safetensors";

/// The message of the io_error that reading `bytes` throws; fails the test if it throws
/// anything else or nothing.
std::string rejection(const bytes_t& bytes) {
    try {
        (void)safetensors_file::from_bytes(bytes, hostile_label);
    } catch (const io_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("not an io_error: ", e.what());
        return {};
    }
    FAIL("a hostile file was accepted");
    return {};
}

/// Checks that a file that loaded is self-consistent: every tensor's bytes can be read and have
/// the size its shape and dtype say, the typed reads agree with the bytes, and writing what was
/// read and reading it again gives the same tensors and metadata. Returns "" or what went wrong.
std::string inconsistency(const safetensors_file& f) {
    std::vector<named_tensor> again;
    for (const auto& e : f.entries()) {
        const bytes_t raw = f.read_bytes(e.name);
        if (raw.size() != e.numel() * element_size(e.dtype)) return "byte count of " + e.name;
        if (e.shape.size() <= 4) {
            bytes_t typed;
            auto grab = [&](const auto& t) {
                const auto v = t.to_vector();
                typed.resize(v.size() * sizeof(v[0]));
                if (!typed.empty()) std::memcpy(typed.data(), v.data(), typed.size());
            };
            switch (e.dtype) {
                case safetensors_dtype::f32:
                    grab(f.read<float>(e.name));
                    break;
                case safetensors_dtype::f64:
                    grab(f.read<double>(e.name));
                    break;
                case safetensors_dtype::i32:
                    grab(f.read<std::int32_t>(e.name));
                    break;
                case safetensors_dtype::u8:
                    grab(f.read<std::uint8_t>(e.name));
                    break;
                default:
                    typed = raw;
                    break;
            }
            if (typed != raw) return "typed read of " + e.name;
        }
        again.push_back({e.name, e.dtype, e.shape, raw});
    }
    const auto g = safetensors_file::from_bytes(serialize_safetensors(again, f.metadata()));
    if (g.names() != f.names() || g.metadata() != f.metadata()) return "re-serialised listing";
    for (const auto& e : f.entries()) {
        const auto& e2 = g.entry(e.name);
        if (e2.dtype != e.dtype || e2.shape != e.shape || g.read_bytes(e.name) != f.read_bytes(e.name))
            return "re-serialised " + e.name;
    }
    return {};
}

}  // namespace

// --- the format, against outside references ------------------------------------------------

TEST_CASE("safetensors: the writer reproduces the Python fixture byte for byte") {
    const bytes_t fixture = read_bytes(fixture_path());
    const auto tensors = fixture_tensors();
    CHECK(serialize_safetensors(tensors, fixture_metadata()) == fixture);

    scratch dir("safetensors");
    save_safetensors(dir / "out.safetensors", tensors, fixture_metadata());
    CHECK(read_bytes(dir / "out.safetensors") == fixture);
    CHECK(dir.listing() == std::set<std::string>{"out.safetensors"});
}

TEST_CASE("safetensors: the Python fixture reads back with its values") {
    const auto f = load_safetensors(fixture_path());
    CHECK(f.source() == fixture_path().string());
    CHECK(f.names() ==
          std::vector<std::string>{"bias", "empty", "kernel", "labels", "pixels", "scale", "weight", "zeta.\xc3\xbc"});
    CHECK(f.metadata() == fixture_metadata());

    // the layout the script chose: F64 first, then the 4-byte types by name, then bytes
    CHECK(f.entry("bias").begin == 0);
    CHECK(f.entry("kernel").begin == 24);
    CHECK(f.entry("empty").begin == 56);
    CHECK(f.entry("empty").end == 56);
    CHECK(f.entry("weight").begin == 76);
    CHECK(f.entry("zeta.\xc3\xbc").end == 105);

    const auto weight = f.read<float>("weight");
    CHECK(weight.shape() == shape{2, 3});
    const std::vector<float> expected_weight{
        0.5f, -1.25f, 3.0f, -0.0f, std::numeric_limits<float>::infinity(), std::ldexp(1.0f, -130)};
    CHECK(bit_patterns(weight.to_vector()) == bit_patterns(expected_weight));

    const auto scale = f.read<float>("scale");
    CHECK(scale.rank() == 0);
    CHECK(scale.item() == 2.0f);

    const auto empty = f.read<float>("empty");
    CHECK(empty.shape() == shape{0, 3});
    CHECK(empty.numel() == 0);

    const auto bias = f.read<double>("bias");
    CHECK(bias.to_vector() == std::vector<double>{0.1, -2.5, 1e300});
    const auto kernel = f.read<double>("kernel");
    CHECK(kernel.shape() == shape{1, 2, 1, 2});
    CHECK(kernel.to_vector() == std::vector<double>{1.0, -1.0, 0.25, -0.25});
    CHECK(f.read<std::int32_t>("labels").to_vector() ==
          std::vector<std::int32_t>{0, -1, 2147483647, std::numeric_limits<std::int32_t>::min()});
    CHECK(f.read<std::uint8_t>("pixels").to_vector() == std::vector<std::uint8_t>{0, 1, 128, 255});
    CHECK(f.read<std::uint8_t>("zeta.\xc3\xbc").item() == 42);
    CHECK(f.read_bytes("scale") == bytes_t{0x00, 0x00, 0x00, 0x40});  // 2.0f, little-endian
}

TEST_CASE("safetensors: the reference implementation's published test vectors") {
    // From safetensors' own tests (safetensors/src/tensor.rs): no tensors, no metadata.
    bytes_t expected{8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' '};
    CHECK(serialize_safetensors({}) == expected);
    CHECK(safetensors_file::from_bytes(expected).size() == 0);

    // Metadata only: {"__metadata__":{"framework":"pt"}} and 5 spaces, N = 40.
    const std::string md = R"({"__metadata__":{"framework":"pt"}})";
    expected = make_file(md + "     ");
    CHECK(expected[0] == 40);
    CHECK(serialize_safetensors({}, {{"framework", "pt"}}) == expected);

    // "attn.0", F32 [1, 2, 3] holding 0..5: a 64-byte header that needs no padding, then
    // "attn0" with [1, 1, 2, 3]: 65 bytes, padded with 7 spaces to 72.
    bytes_t values;
    for (float v : {0.f, 1.f, 2.f, 3.f, 4.f, 5.f}) {
        const auto bits = std::bit_cast<std::uint32_t>(v);
        for (int i = 0; i < 4; ++i) values.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    }
    const std::string h1 = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
    REQUIRE(h1.size() == 64);
    CHECK(serialize_safetensors({{named_tensor{"attn.0", safetensors_dtype::f32, {1, 2, 3}, values}}}) ==
          make_file(h1, values));
    const std::string h2 = R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})";
    REQUIRE(h2.size() == 65);
    CHECK(serialize_safetensors({{named_tensor{"attn0", safetensors_dtype::f32, {1, 1, 2, 3}, values}}}) ==
          make_file(h2 + "       ", values));
}

// --- round trips -----------------------------------------------------------------------------

TEST_CASE("safetensors: float, double, int32 and uint8 tensors and metadata round trip through a file") {
    std::mt19937 rng(7);
    std::normal_distribution<double> normal;
    std::vector<float> f(60);
    std::vector<double> d(24);
    std::vector<std::int32_t> i(7);
    std::vector<std::uint8_t> u(256);
    for (auto& x : f) x = static_cast<float>(normal(rng));
    for (auto& x : d) x = normal(rng) * 1e-200;
    for (auto& x : i) x = static_cast<std::int32_t>(rng());
    for (std::size_t k = 0; k < u.size(); ++k) u[k] = static_cast<std::uint8_t>(k);
    f[3] = std::numeric_limits<float>::quiet_NaN();  // values are not checked, per the specification
    d[0] = -std::numeric_limits<double>::infinity();

    const auto tf = tensor<float>::from_host({3, 4, 5}, f);
    const auto td = tensor<double>::from_host({2, 3, 2, 2}, d);
    const auto ti = tensor<std::int32_t>::from_host({7}, i);
    const auto tu = tensor<std::uint8_t>::from_host({16, 16}, u);
    const safetensors_metadata md{{"epoch", "12"},
                                  {"empty", ""},
                                  {"quote\"back\\slash", "line\nbreak\ttab \x01 control"},
                                  {"\xe6\x97\xa5\xe6\x9c\xac", "\xf0\x9f\x98\x80"}};
    const std::string odd_name{"odd \"name\"\\ with \0 nul", 22};

    scratch dir("safetensors");
    const auto path = dir / "round.safetensors";
    save_safetensors(path,
                     std::vector<named_tensor>{to_named_tensor("f", tf), to_named_tensor("d", td),
                                               to_named_tensor("i", ti), to_named_tensor(odd_name, tu),
                                               to_named_tensor("rows", tf.reshape({12, 5}).rows(2, 5))},
                     md);
    const auto file = load_safetensors(path);
    CHECK(file.metadata() == md);
    CHECK(file.size() == 5);

    const auto f2 = file.read<float>("f");
    CHECK(f2.shape() == shape{3, 4, 5});
    CHECK(bit_patterns(f2.to_vector()) == bit_patterns(f));
    const auto d2 = file.read<double>("d");
    CHECK(d2.shape() == shape{2, 3, 2, 2});
    CHECK(bit_patterns(d2.to_vector()) == bit_patterns(d));
    CHECK(file.read<std::int32_t>("i").to_vector() == i);
    const auto u2 = file.read<std::uint8_t>(odd_name);
    CHECK(u2.shape() == shape{16, 16});
    CHECK(u2.to_vector() == u);
    const auto rows = file.read<float>("rows");  // a row view was written as its own rows
    CHECK(rows.shape() == shape{3, 5});
    CHECK(bit_patterns(rows.to_vector()) == bit_patterns(std::vector<float>(f.begin() + 10, f.begin() + 25)));
    CHECK(inconsistency(file).empty());

    // the same bytes in memory read the same way
    CHECK(safetensors_file::from_bytes(read_bytes(path)).names() == file.names());
}

TEST_CASE("safetensors: typed reads check the dtype and the rank") {
    const auto f = load_safetensors(fixture_path());
    CHECK_THROWS_WITH_AS(f.read<double>("weight"), doctest::Contains("'weight' holds F32, not F64"), io_error);
    CHECK_THROWS_WITH_AS(f.read<float>("labels"), doctest::Contains("'labels' holds I32, not F32"), io_error);
    CHECK_THROWS_WITH_AS(f.read<float>("missing"), doctest::Contains("no tensor 'missing'"), io_error);
    CHECK_THROWS_WITH_AS(f.entry("missing"), doctest::Contains(fixture_path().string().c_str()), io_error);

    // Other dtypes and ranks above 4 are listed and readable as bytes, never converted.
    const auto g = safetensors_file::from_bytes(make_file(
        R"({"h":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"r5":{"dtype":"U8","shape":[1,1,1,1,2],"data_offsets":[4,6]}})",
        bytes_t{1, 2, 3, 4, 5, 6}));
    CHECK(g.entry("h").dtype == safetensors_dtype::bf16);
    CHECK(g.read_bytes("h") == bytes_t{1, 2, 3, 4});
    CHECK_THROWS_WITH_AS(g.read<float>("h"), doctest::Contains("'h' holds BF16"), io_error);
    CHECK(g.entry("r5").shape == std::vector<std::int64_t>{1, 1, 1, 1, 2});
    CHECK(g.read_bytes("r5") == bytes_t{5, 6});
    CHECK_THROWS_WITH_AS(g.read<std::uint8_t>("r5"), doctest::Contains("'r5' has rank 5"), io_error);
}

TEST_CASE("safetensors: what the specification allows is accepted") {
    // JSON whitespace anywhere, entries in any order, empty tensors at the start, middle and end
    // of the buffer (several at one offset), a scalar, header padding, an empty metadata object.
    const std::string header =
        "{ \"z\" : {\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\n"
        "  \"b\" : {\"data_offsets\":[4,6],\"shape\":[2],\"dtype\":\"U8\"},\n"
        "  \"e\" : {\"dtype\":\"F64\",\"shape\":[3,0,2],\"data_offsets\":[4,4]},\n"
        "  \"a\" : {\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\n"
        "  \"y\" : {\"dtype\":\"I32\",\"shape\":[0],\"data_offsets\":[6,6]},\n"
        "  \"__metadata__\" : {} }        ";
    const auto f = safetensors_file::from_bytes(make_file(header, bytes_t{0, 0, 128, 63, 7, 8}));
    CHECK(f.names() == std::vector<std::string>{"a", "b", "e", "y", "z"});
    CHECK(f.metadata().empty());
    CHECK(f.read<float>("a").item() == 1.0f);
    CHECK(f.read<std::uint8_t>("b").to_vector() == std::vector<std::uint8_t>{7, 8});
    CHECK(f.read<double>("e").shape() == shape{3, 0, 2});
    CHECK(f.read<std::int32_t>("y").numel() == 0);
    CHECK(inconsistency(f).empty());

    CHECK(safetensors_file::from_bytes(make_file("{}")).size() == 0);

    // rank 64, the most the reader takes
    std::string ones63;
    for (int i = 0; i < 63; ++i) ones63 += "1,";
    const auto r64 = safetensors_file::from_bytes(
        make_file(R"({"a":{"dtype":"U8","shape":[)" + ones63 + R"(2],"data_offsets":[0,2]}})", bytes_t{5, 6}));
    CHECK(r64.entry("a").shape.size() == 64);
    CHECK(r64.read_bytes("a") == bytes_t{5, 6});
}

// --- atomic writes ---------------------------------------------------------------------------

TEST_CASE("safetensors: saving replaces a file and leaves no temporary") {
    scratch dir("safetensors");
    const auto path = dir / "model.safetensors";
    save_safetensors(path, std::vector<named_tensor>{to_named_tensor("a", tensor<float>::ones({3}))});
    save_safetensors(path, std::vector<named_tensor>{to_named_tensor("b", tensor<float>::zeros({2}))});
    const auto f = load_safetensors(path);
    CHECK(f.names() == std::vector<std::string>{"b"});
    CHECK(dir.listing() == std::set<std::string>{"model.safetensors"});

    // a name near the system's limit of 255 bytes still leaves room for the temporary's suffix
    const std::string long_name = std::string(240, 'x') + ".safetensors";
    save_safetensors(dir / long_name, std::vector<named_tensor>{to_named_tensor("c", tensor<float>::ones({1}))});
    CHECK(load_safetensors(dir / long_name).names() == std::vector<std::string>{"c"});
    CHECK(dir.listing() == std::set<std::string>{"model.safetensors", long_name});
}

TEST_CASE("safetensors: a failed save leaves the old file intact and no temporary") {
    scratch dir("safetensors");
    const auto path = dir / "model.safetensors";
    const std::vector<named_tensor> good{to_named_tensor("a", tensor<float>::ones({3}))};
    save_safetensors(path, good, {{"version", "old"}});
    const bytes_t old = read_bytes(path);

    SUBCASE("a tensor whose data does not match its shape") {
        std::vector<named_tensor> bad{to_named_tensor("w", tensor<float>::ones({4}))};
        bad[0].data.pop_back();
        CHECK_THROWS_WITH_AS(
            save_safetensors(path, bad),
            doctest::Contains(detail::concat("'", path.string(), "': tensor 'w': 15 bytes of data").c_str()), io_error);
    }
    SUBCASE("two tensors with one name") {
        const std::vector<named_tensor> twice{to_named_tensor("w", tensor<float>::ones({1})),
                                              to_named_tensor("w", tensor<float>::ones({2}))};
        CHECK_THROWS_WITH_AS(save_safetensors(path, twice), doctest::Contains("tensor 'w': the name occurs twice"),
                             io_error);
    }
    SUBCASE("a reserved name, invalid UTF-8, a negative extent") {
        CHECK_THROWS_AS(save_safetensors(path, {{named_tensor{"__metadata__", safetensors_dtype::u8, {0}, {}}}}),
                        io_error);
        CHECK_THROWS_AS(save_safetensors(path, {{named_tensor{"bad\xff", safetensors_dtype::u8, {0}, {}}}}), io_error);
        CHECK_THROWS_AS(save_safetensors(path, good, {{"key", "bad\xc0\xaf"}}), io_error);
        CHECK_THROWS_AS(save_safetensors(path, {{named_tensor{"n", safetensors_dtype::u8, {-1}, {}}}}), io_error);
    }
    SUBCASE("the content fails half-way through writing") {
        CHECK_THROWS_WITH_AS(write_file_atomically(path,
                                                   [](atomic_file_writer& out) {
                                                       out.write("partial", 7);
                                                       throw std::runtime_error("disk on fire");
                                                   }),
                             "disk on fire", std::runtime_error);
    }
    CHECK(read_bytes(path) == old);
    CHECK(dir.listing() == std::set<std::string>{"model.safetensors"});
}

TEST_CASE("safetensors: saving onto a directory or into a missing one fails cleanly") {
    scratch dir("safetensors");
    const std::vector<named_tensor> good{to_named_tensor("a", tensor<float>::ones({3}))};
    fs::create_directory(dir / "taken");
    write_file(dir / "taken" / "inside", bytes_t{1, 2, 3});
    CHECK_THROWS_WITH_AS(save_safetensors(dir / "taken", good), doctest::Contains((dir / "taken").string().c_str()),
                         io_error);
    CHECK(fs::is_directory(dir / "taken"));
    CHECK(read_bytes(dir / "taken" / "inside") == bytes_t{1, 2, 3});
    CHECK(dir.listing() == std::set<std::string>{"taken"});

    CHECK_THROWS_WITH_AS(save_safetensors(dir / "missing" / "x.safetensors", good),
                         doctest::Contains((dir / "missing" / "x.safetensors").string().c_str()), io_error);
    CHECK(dir.listing() == std::set<std::string>{"taken"});
}

TEST_CASE("safetensors: saving into a read-only directory fails cleanly") {
    if (::geteuid() == 0) {
        MESSAGE("running as root, which may write anywhere: skipped");
        return;
    }
    scratch dir("safetensors");
    const auto path = dir / "model.safetensors";
    save_safetensors(path, std::vector<named_tensor>{to_named_tensor("a", tensor<float>::ones({3}))});
    const bytes_t old = read_bytes(path);
    fs::permissions(dir.dir, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THROWS_WITH_AS(
        save_safetensors(path, std::vector<named_tensor>{to_named_tensor("b", tensor<float>::ones({1}))}),
        doctest::Contains(path.string().c_str()), io_error);
    fs::permissions(dir.dir, fs::perms::owner_all);
    CHECK(read_bytes(path) == old);
    CHECK(dir.listing() == std::set<std::string>{"model.safetensors"});
}

TEST_CASE("safetensors: an open file keeps reading the version it opened") {
    scratch dir("safetensors");
    const auto path = dir / "model.safetensors";
    save_safetensors(path, std::vector<named_tensor>{to_named_tensor("a", tensor<float>::full({4}, 1.0f))});
    const auto opened = load_safetensors(path);
    save_safetensors(path, std::vector<named_tensor>{to_named_tensor("a", tensor<float>::full({4}, 2.0f))});
    CHECK(opened.read<float>("a").to_vector() == std::vector<float>(4, 1.0f));
    CHECK(load_safetensors(path).read<float>("a").to_vector() == std::vector<float>(4, 2.0f));
}

TEST_CASE("safetensors: opening what is not a readable file is an io_error naming it") {
    scratch dir("safetensors");
    CHECK_THROWS_WITH_AS(load_safetensors(dir / "absent"), doctest::Contains((dir / "absent").string().c_str()),
                         io_error);
    CHECK_THROWS_WITH_AS(load_safetensors(dir.dir), doctest::Contains("not a regular file"), io_error);
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    CHECK_THROWS_WITH_AS(load_safetensors(dir / "fifo"), doctest::Contains("not a regular file"), io_error);

    // a file truncated in place after it was opened: the read fails, it does not run past the end
    const auto path = dir / "shrinks.safetensors";
    save_safetensors(path, std::vector<named_tensor>{to_named_tensor("a", tensor<double>::ones({64}))});
    const auto opened = load_safetensors(path);
    fs::resize_file(path, fs::file_size(path) - 100);
    CHECK_THROWS_WITH_AS(opened.read<double>("a"), doctest::Contains("'a': the file ended early"), io_error);
}

// --- hostile input -----------------------------------------------------------------------------

TEST_CASE("safetensors: every proper prefix of a valid file is an io_error") {
    const bytes_t whole = read_bytes(fixture_path());
    for (std::size_t n = 0; n < whole.size(); ++n) {
        const bytes_t prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n));
        const std::string msg = rejection(prefix);
        INFO("prefix of ", n, " bytes: ", msg);
        CHECK(msg.find(hostile_label) != std::string::npos);
    }
    // the same through files, which take the pread path
    scratch dir("safetensors");
    const auto path = dir / "prefix.safetensors";
    for (std::size_t n = 0; n < whole.size(); ++n) {
        write_file(path, bytes_t(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n)));
        INFO("prefix of ", n, " bytes");
        CHECK_THROWS_AS(load_safetensors(path), io_error);
    }
    write_file(path, whole);
    CHECK(inconsistency(load_safetensors(path)).empty());
}

TEST_CASE("safetensors: corrupted headers are io_errors that say what is wrong") {
    struct hostile {
        const char* what;
        bytes_t file;
        const char* message;  // a fragment the message must contain
    };
    const std::string entry_a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
    std::string ones64;  // "1,1,...,1," : 64 extents of 1
    for (int i = 0; i < 64; ++i) ones64 += "1,";
    const auto one = [&](const std::string& body, std::size_t data = 8) { return make_file(body, zeros(data)); };
    // one case a line reads best as a table
    // clang-format off
    const std::vector<hostile> cases{
        // the length field and the file's size
        {"an empty file", {}, "too short"},
        {"seven bytes", bytes_t(7, 0), "too short"},
        {"length 2^64 - 1", with_length(~std::uint64_t{0}, "{}"), "exceeds the format's limit"},
        {"length just over the limit", with_length(100'000'001, "{}"), "exceeds the format's limit"},
        {"length one past the file", with_length(3, "{}"), "exceeds the 2 bytes after it"},
        {"length zero", with_length(0, "{}"), "does not begin with '{'"},
        // not a JSON object
        {"an array", make_file("[]"), "does not begin with '{'"},
        {"a string", make_file("\"{}\""), "does not begin with '{'"},
        {"a number", make_file("42"), "does not begin with '{'"},
        {"null", make_file("null"), "does not begin with '{'"},
        {"leading space", make_file(" {}"), "does not begin with '{'"},
        {"a byte order mark", make_file("\xef\xbb\xbf{}"), "does not begin with '{'"},
        {"unterminated", make_file(R"({"a":)"), "not valid JSON"},
        {"trailing garbage", make_file("{} x"), "not valid JSON"},
        {"a trailing comma", one("{" + entry_a + ",}"), "not valid JSON"},
        {"a comment", make_file("{/* hi */}"), "not valid JSON"},
        {"a raw NUL in a name",
         one(std::string(R"({"a)") + '\0' + R"(":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})"),
         "not valid JSON"},
        {"a number too large for a double", make_file(R"({"a":1e999})"), "not valid JSON"},
        {"an unpaired surrogate escape", make_file(R"({"\ud800":1})"), "not valid JSON"},
        // invalid UTF-8
        {"a 0xff byte", make_file("{\"\xff\":1}"), "UTF-8"},
        {"an overlong slash", make_file("{\"\xc0\xaf\":1}"), "UTF-8"},
        {"an encoded surrogate", make_file("{\"\xed\xa0\x80\":1}"), "UTF-8"},
        {"a code point above U+10FFFF", make_file("{\"\xf4\x90\x80\x80\":1}"), "UTF-8"},
        {"a truncated sequence", make_file("{\"\xe2\x9c\"}"), "UTF-8"},
        {"a stray continuation byte", make_file("{\"__metadata__\":{\"k\":\"\x80\"}}"), "UTF-8"},
        // shapes
        {"a negative extent", one(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})"),
         "'a': shape holds a negative integer"},
        {"a fractional extent", one(R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})"), "'a': shape"},
        {"an exponent extent", one(R"({"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}})"), "'a': shape"},
        {"a string extent", one(R"({"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})"), "'a': shape"},
        {"an extent of 2^64", one(R"({"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,8]}})"),
         "'a': shape"},
        {"an extent of 2^63", one(R"({"a":{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,8]}})"),
         "'a': shape holds an extent above 2^63 - 1"},
        {"shape not an array", one(R"({"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})"),
         "'a': shape is a number, not an array"},
        {"a shape of rank 65", one(R"({"a":{"dtype":"F32","shape":[)" + ones64 + R"(2],"data_offsets":[0,8]}})"),
         "'a': shape has more than 64 extents"},
        {"a nested shape", one(R"({"a":{"dtype":"F32","shape":[[2]],"data_offsets":[0,8]}})"),
         "'a': shape holds an array"},
        {"deep nesting",
         one(R"({"a":{"dtype":"F32","shape":)" + std::string(100000, '[') + std::string(100000, ']') +
             R"(,"data_offsets":[0,8]}})"),
         "'a': shape holds an array"},
        {"a product past 2^63", one(R"({"a":{"dtype":"F32","shape":[3037000500,3037000500],"data_offsets":[0,8]}})"),
         "'a': shape [3037000500, 3037000500] has too many elements"},
        {"a product past 2^64 in bytes",
         one(R"({"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})"), "too many elements"},
        {"an overflowing product beside a zero",
         one(R"({"a":{"dtype":"F32","shape":[0,4611686018427387904,4],"data_offsets":[0,0]}})", 0),
         "too many elements"},
        {"a shape that disagrees with the offsets", one(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})"),
         "'a': shape [3] of F32 needs 12 bytes"},
        // offsets
        {"an end past the buffer", one(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})"),
         "'a': data_offsets [0, 16] is not a range within the 8-byte"},
        {"begin after end", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})"), "'a': data_offsets"},
        {"three offsets", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}})"), "'a': data_offsets"},
        {"a negative offset", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[-1,7]}})"), "'a': data_offsets"},
        {"a fractional offset", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0.0,8]}})"),
         "'a': data_offsets"},
        {"offsets not an array", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":"0-8"}})"), "'a': data_offsets"},
        {"truncated data", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
         "'a': data_offsets [0, 8] is not a range within the 4-byte"},
        {"overlapping tensors",
         one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
             12),
         "'b': data [4, 12) overlaps"},
        {"one range twice",
         one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}})"),
         "overlaps"},
        {"a hole",
         one(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
             12),
         "'b': data begins at 8 but bytes 4 onwards belong to no tensor"},
        {"a buffer not used from 0", one(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"),
         "'a': data begins at 4"},
        {"trailing bytes", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 12),
         "cover 8 bytes of the 12-byte data buffer"},
        {"bytes but no tensors", make_file("{}", zeros(1)), "cover 0 bytes of the 1-byte"},
        // dtypes
        {"an unknown dtype", one(R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})"),
         "'a': unknown or unsupported dtype 'F33'"},
        {"a lower-case dtype", one(R"({"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})"),
         "unknown or unsupported dtype 'f32'"},
        {"a sub-byte dtype", one(R"({"a":{"dtype":"F4","shape":[16],"data_offsets":[0,8]}})"),
         "unsupported dtype 'F4'"},
        {"a numeric dtype", one(R"({"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}})"),
         "'a': dtype is a number, not a string"},
        // structure
        {"a duplicate tensor name", one("{" + entry_a + "," + entry_a + "}"), "the key 'a' twice"},
        {"a duplicate field", one(R"({"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}})"),
         "'a': the field 'dtype' twice"},
        {"a duplicate metadata key", one(R"({"__metadata__":{"k":"1","k":"2"},)" + entry_a + "}"), "the key 'k' twice"},
        {"two metadata objects", one(R"({"__metadata__":{},"__metadata__":{},)" + entry_a + "}"),
         "the key '__metadata__' twice"},
        {"an extra field", one(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})"),
         "'a': unexpected field 'x'"},
        {"a missing field", one(R"({"a":{"dtype":"F32","shape":[2]}})"), "'a': entry must have exactly"},
        {"an entry that is a number", one(R"({"a":5})", 0), "'a': entry is a number, not an object"},
        {"an entry that is an array", one(R"({"a":[0,8]})"), "'a': entry is an array, not an object"},
        {"metadata that is a string", make_file(R"({"__metadata__":"x"})"), "__metadata__ is a string, not an object"},
        {"a metadata value that is a number", make_file(R"({"__metadata__":{"k":1}})"),
         "value of 'k' is a number, not a string"},
        {"a metadata value that is an object", make_file(R"({"__metadata__":{"k":{}}})"),
         "value of 'k' is an object, not a string"},
    };
    // clang-format on
    for (const auto& c : cases) {
        const std::string msg = rejection(c.file);
        INFO(std::string(c.what), ": ", msg);
        CHECK(msg.find(hostile_label) != std::string::npos);
        CHECK(msg.find(c.message) != std::string::npos);
    }
}

TEST_CASE("safetensors: thousands of random mutations either load consistently or are io_errors") {
    const bytes_t valid = read_bytes(fixture_path());
    const std::size_t header_end = 8 + valid[0] + 256 * std::size_t{valid[1]};
    std::mt19937 rng(20240611);
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    // most mutations land in the header, where the parser is
    const auto position = [&](const bytes_t& b) {
        const std::size_t limit = pick(5) < 4 ? std::min(header_end, b.size()) : b.size();
        return limit == 0 ? 0 : pick(limit);
    };

    int accepted = 0, rejected = 0, failures = 0;
    std::string first_failure;
    constexpr int trials = 20000;
    for (int trial = 0; trial < trials; ++trial) {
        bytes_t b = valid;
        const int edits = 1 + static_cast<int>(pick(3));
        for (int k = 0; k < edits; ++k) {
            switch (pick(8)) {
                case 0:  // a random byte
                    if (!b.empty()) b[position(b)] = static_cast<std::uint8_t>(pick(256));
                    break;
                case 1:  // one bit
                    if (!b.empty()) b[position(b)] ^= static_cast<std::uint8_t>(1u << pick(8));
                    break;
                case 2: {  // insert a few bytes
                    const std::size_t at = b.empty() ? 0 : position(b);
                    const std::size_t n = 1 + pick(4);
                    for (std::size_t i = 0; i < n; ++i)
                        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(pick(256)));
                    break;
                }
                case 3: {  // delete a few bytes
                    if (b.empty()) break;
                    const std::size_t at = position(b);
                    const std::size_t n = std::min(b.size() - at, 1 + pick(4));
                    b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                            b.begin() + static_cast<std::ptrdiff_t>(at + n));
                    break;
                }
                case 4:  // truncate
                    b.resize(pick(b.size() + 1));
                    break;
                case 5: {  // a digit of the header made another digit, or a long number
                    std::vector<std::size_t> digits;
                    for (std::size_t i = 8; i < std::min(header_end, b.size()); ++i)
                        if (b[i] >= '0' && b[i] <= '9') digits.push_back(i);
                    if (digits.empty()) break;
                    const std::size_t at = digits[pick(digits.size())];
                    if (pick(2)) {
                        b[at] = static_cast<std::uint8_t>('0' + pick(10));
                    } else {
                        const std::string big = pick(2) ? "18446744073709551615" : "9223372036854775807";
                        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), big.begin(), big.end());
                    }
                    break;
                }
                case 6: {  // the length field moved a little
                    if (b.size() < 8) break;
                    std::uint64_t n = 0;
                    for (int i = 7; i >= 0; --i) n = (n << 8) | b[static_cast<std::size_t>(i)];
                    n += pick(33) - 16;
                    for (int i = 0; i < 8; ++i)
                        b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
                    break;
                }
                case 7: {  // a slice of the header repeated
                    if (b.size() <= 9) break;
                    const std::size_t from = 8 + pick(std::min(header_end, b.size()) - 8);
                    const std::size_t n = std::min(b.size() - from, 1 + pick(40));
                    const bytes_t slice(b.begin() + static_cast<std::ptrdiff_t>(from),
                                        b.begin() + static_cast<std::ptrdiff_t>(from + n));
                    b.insert(b.begin() + static_cast<std::ptrdiff_t>(position(b)), slice.begin(), slice.end());
                    break;
                }
            }
        }
        const auto failure = [&](const std::string& what) {
            if (failures++ == 0) first_failure = "trial " + std::to_string(trial) + ": " + what;
        };
        std::optional<safetensors_file> f;
        try {
            f.emplace(safetensors_file::from_bytes(b, hostile_label));
        } catch (const io_error& e) {
            ++rejected;
            if (std::string(e.what()).find(hostile_label) == std::string::npos)
                failure(std::string("message without the file: ") + e.what());
            continue;
        } catch (const std::exception& e) {
            failure(std::string("not an io_error: ") + e.what());
            continue;
        }
        // A file that opened must then read without any error at all.
        try {
            const std::string problem = inconsistency(*f);
            if (problem.empty()) {
                ++accepted;
            } else {
                failure("inconsistent " + problem);
            }
        } catch (const std::exception& e) {
            failure(std::string("accepted, then failed to read: ") + e.what());
        }
    }
    INFO("accepted ", accepted, ", rejected ", rejected, "; first failure: ", first_failure);
    CHECK(failures == 0);
    CHECK(accepted + rejected == trials);
    // both outcomes occur: flips in tensor data and in padding leave a valid file
    CHECK(accepted > 100);
    CHECK(rejected > trials / 2);
}
