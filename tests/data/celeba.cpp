#include <doctest/doctest.h>

#include <latent/data/celeba.hpp>

#include "../support.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

namespace {
// CelebA's 40 attributes, in the order of list_attr_celeba.txt.
const std::vector<std::string> names40 = {
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive",       "Bags_Under_Eyes",     "Bald",
    "Bangs",            "Big_Lips",        "Big_Nose",         "Black_Hair",          "Blond_Hair",
    "Blurry",           "Brown_Hair",      "Bushy_Eyebrows",   "Chubby",              "Double_Chin",
    "Eyeglasses",       "Goatee",          "Gray_Hair",        "Heavy_Makeup",        "High_Cheekbones",
    "Male",             "Mouth_Slightly_Open", "Mustache",     "Narrow_Eyes",         "No_Beard",
    "Oval_Face",        "Pale_Skin",       "Pointy_Nose",      "Receding_Hairline",   "Rosy_Cheeks",
    "Sideburns",        "Smiling",         "Straight_Hair",    "Wavy_Hair",           "Wearing_Earrings",
    "Wearing_Hat",      "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie",    "Young"};

// CCVAE's 18 labels as its paper lists them (§ C.1), in CelebA's spelling.
const std::vector<std::string> ccvae18 = {
    "Arched_Eyebrows", "Bags_Under_Eyes", "Bangs",     "Black_Hair",   "Blond_Hair", "Brown_Hair",
    "Bushy_Eyebrows",  "Chubby",          "Eyeglasses", "Heavy_Makeup", "Male",       "No_Beard",
    "Pale_Skin",       "Receding_Hairline", "Smiling",  "Wavy_Hair",    "Wearing_Necktie", "Young"};

struct face_rgb {
    int r, g, b;
};

/// The small CelebA the tests write: image k (1-based) has these attributes and this split.
struct face {
    std::set<std::string> present;
    int split;
};
const std::vector<face> faces = {
    {{"Eyeglasses", "No_Beard", "Smiling", "Young"}, 0},                          // 1
    {{"Eyeglasses", "No_Beard", "Male"}, 0},                                      // 2
    {{"Mustache", "No_Beard", "Male"}, 0},                                        // 3 facial hair (mustache)
    {{"Goatee", "No_Beard", "Bangs"}, 0},                                         // 4 facial hair (goatee)
    {{"Male", "Chubby"}, 0},                                                      // 5 facial hair (beard)
    {{"No_Beard", "Blond_Hair", "Heavy_Makeup", "Wearing_Earrings"}, 0},          // 6
    {{"No_Beard", "Black_Hair", "Pale_Skin"}, 0},                                 // 7 (the centre/border picture)
    {{"No_Beard", "Wavy_Hair", "Arched_Eyebrows", "Bags_Under_Eyes"}, 0},         // 8
    {{"Eyeglasses", "No_Beard", "Brown_Hair", "Bushy_Eyebrows"}, 1},              // 9
    {{"Goatee", "Receding_Hairline", "Wearing_Necktie", "No_Beard"}, 1},          // 10
    {{"Eyeglasses", "No_Beard", "Wearing_Hat"}, 2},                               // 11
    {{"Mustache", "No_Beard", "Attractive"}, 2},                                  // 12
};
std::string file_of(int k) {
    std::string s = std::to_string(k);
    return std::string(6 - s.size(), '0') + s + ".jpg";
}
bool glasses(int k) { return faces[std::size_t(k - 1)].present.count("Eyeglasses") != 0; }
bool facial_hair(int k) {
    const auto& p = faces[std::size_t(k - 1)].present;
    return p.count("Mustache") || p.count("Goatee") || !p.count("No_Beard");
}
face_rgb colour_of(int k) { return {(k * 20) % 256, 255 - k * 15, (k * 37) % 256}; }
const face_rgb border_colour{250, 250, 250};

/// list_attr_celeba.txt as the real one is laid out ("1" padded to " 1").
std::string attribute_text(const std::vector<face>& fs_) {
    std::string t = std::to_string(fs_.size()) + "\n";
    for (const auto& n : names40) t += n + " ";
    t += "\n";
    for (std::size_t k = 0; k < fs_.size(); ++k) {
        t += file_of(int(k) + 1);
        for (const auto& n : names40) t += fs_[k].present.count(n) ? "  1" : " -1";
        t += "\n";
    }
    return t;
}
std::string partition_text(const std::vector<face>& fs_) {
    std::string t;
    for (std::size_t k = 0; k < fs_.size(); ++k) t += file_of(int(k) + 1) + " " + std::to_string(fs_[k].split) + "\n";
    return t;
}

void append(void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
}
void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& b) {
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}
void write_text(const fs::path& p, const std::string& t) { std::ofstream(p, std::ios::binary) << t; }
/// A 178×218 JPEG: a flat colour, or (with a border) the colour in the centred 178×178 square only.
std::vector<std::uint8_t> face_jpeg(face_rgb c, bool border) {
    const int w = 178, h = 218;
    std::vector<std::uint8_t> px(std::size_t(w * h * 3));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const face_rgb v = (border && (y < 20 || y >= 198)) ? border_colour : c;
            std::uint8_t* p = &px[std::size_t((y * w + x) * 3)];
            p[0] = std::uint8_t(v.r);
            p[1] = std::uint8_t(v.g);
            p[2] = std::uint8_t(v.b);
        }
    std::vector<std::uint8_t> out;
    REQUIRE(stbi_write_jpg_to_func(append, &out, w, h, 3, px.data(), 95) == 1);
    return out;
}
/// Writes the small CelebA under dir.
void write_celeba(const fs::path& dir) {
    fs::create_directories(dir / "img_align_celeba");
    for (int k = 1; k <= int(faces.size()); ++k)
        write_bytes(dir / "img_align_celeba" / file_of(k), face_jpeg(colour_of(k), k == 7));
    write_text(dir / "list_attr_celeba.txt", attribute_text(faces));
    write_text(dir / "list_eval_partition.txt", partition_text(faces));
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const io_error& e) {
        return e.what();
    }
    return "(no io_error)";
}
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// The 1-based image numbers of a dataset's examples.
std::vector<int> numbers(const data::celeba& d) {
    std::vector<int> out;
    for (std::int64_t i = 0; i < d.size(); ++i) out.push_back(std::stoi(d.file(i).substr(0, 6)));
    return out;
}
bool subset_of(const std::vector<int>& a, const std::vector<int>& b) {
    return std::includes(b.begin(), b.end(), a.begin(), a.end());
}
constexpr float jpeg_tol = 4.0f / 255.0f;
}  // namespace

TEST_CASE("celeba: attribute and partition texts parse into names, files and 0/1 values") {
    // Padding as in the real file, a CRLF line, a blank line at the end.
    const std::string text = "2\nA B  C \r\nx.jpg  1 -1  1\r\ny.jpg -1 -1  1\n\n";
    const auto a = data::parse_celeba_attributes(text, "attr.txt");
    CHECK(a.names == std::vector<std::string>{"A", "B", "C"});
    CHECK(a.files == std::vector<std::string>{"x.jpg", "y.jpg"});
    CHECK(a.lines == std::vector<std::int64_t>{3, 4});
    CHECK(a.values == std::vector<std::uint8_t>{1, 0, 1, 0, 0, 1});
    CHECK(a.column("C") == 2);
    CHECK(a.column("D") == -1);
    CHECK(a.has(1, 2));
    CHECK_FALSE(a.has(1, 0));

    const auto p = data::parse_celeba_partition("y.jpg 2\r\n\nx.jpg 0\n", "part.txt");
    CHECK(p.files == std::vector<std::string>{"y.jpg", "x.jpg"});
    CHECK(p.lines == std::vector<std::int64_t>{1, 3});
    CHECK(p.split == std::vector<std::uint8_t>{2, 0});
    CHECK(data::celeba_splits(a, p, "attr.txt", "part.txt") == std::vector<std::uint8_t>{0, 2});
}

TEST_CASE("celeba: every malformed attribute file is an io_error naming the file and line") {
    struct bad {
        std::string text, where, why;
    };
    const std::vector<bad> cases = {
        {"", "attr.txt:1:", "empty"},
        {"two\nA B\n", "attr.txt:1:", "count"},
        {"2 3\nA B\n", "attr.txt:1:", "count"},
        {"-1\nA B\n", "attr.txt:1:", "count"},
        {"99999999999999999999999\nA B\n", "attr.txt:1:", "count"},
        {"1\n", "attr.txt:2:", "names"},
        {"1\n  \n", "attr.txt:2:", "names"},
        {"1\nA B A\nx.jpg 1 1 1\n", "attr.txt:2:", "twice"},
        {"2\nA B\nx.jpg 1 -1\ny.jpg 1\n", "attr.txt:4:", "1 values for 2"},       // missing column
        {"2\nA B\nx.jpg 1 -1\ny.jpg\n", "attr.txt:4:", "0 values for 2"},
        {"1\nA B\nx.jpg 1 -1 1\n", "attr.txt:3:", "3 values for 2"},              // extra column
        {"1\nA B\nx.jpg 1 0\n", "attr.txt:3:", "'0' of attribute B"},             // bad value
        {"1\nA B\nx.jpg 1 +1\n", "attr.txt:3:", "neither 1 nor -1"},
        {"1\nA B\nx.jpg 1 1.0\n", "attr.txt:3:", "neither 1 nor -1"},
        {"3\nA B\nx.jpg 1 -1\ny.jpg -1 1\n", "attr.txt:1:", "says 3 images but 2"},  // wrong count
        {"1\nA B\nx.jpg 1 -1\ny.jpg -1 1\n", "attr.txt:1:", "says 1 images but 2"},
        {"3\nA B\nx.jpg 1 -1\n\ny.jpg -1 1\nx.jpg 1 1\n", "attr.txt:6:", "already listed on line 3"},  // duplicate
        {"1\nA B\n../x.jpg 1 -1\n", "attr.txt:3:", "plain"},
        {"1\nA B\nsub/x.jpg 1 -1\n", "attr.txt:3:", "plain"},
        {std::string("1\nA B\nx\0y.jpg 1 -1\n", 20), "attr.txt:3:", "plain"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const std::string msg = message_of([&] { data::parse_celeba_attributes(c.text, "attr.txt"); });
        CHECK(contains(msg, c.where));
        CHECK(contains(msg, c.why));
    }
}

TEST_CASE("celeba: partition errors and unmatched files are io_errors naming the file and line") {
    struct bad {
        std::string text, where, why;
    };
    const std::vector<bad> cases = {
        {"x.jpg 0\ny.jpg 3\n", "part.txt:2:", "'3'"},
        {"x.jpg -1\n", "part.txt:1:", "not 0"},
        {"x.jpg 00\n", "part.txt:1:", "not 0"},
        {"x.jpg\n", "part.txt:1:", "1 fields"},
        {"x.jpg 0 1\n", "part.txt:1:", "3 fields"},
        {"x.jpg 0\n\n\nx.jpg 1\n", "part.txt:4:", "already listed on line 1"},
        {"/etc/passwd 0\n", "part.txt:1:", "plain"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const std::string msg = message_of([&] { data::parse_celeba_partition(c.text, "part.txt"); });
        CHECK(contains(msg, c.where));
        CHECK(contains(msg, c.why));
    }
    const auto a = data::parse_celeba_attributes("2\nA\nx.jpg 1\ny.jpg -1\n", "attr.txt");
    // A file the attributes do not list (unknown file in the partition).
    auto msg = message_of([&] {
        data::celeba_splits(a, data::parse_celeba_partition("x.jpg 0\ny.jpg 1\nz.jpg 2\n", "part.txt"), "attr.txt",
                            "part.txt");
    });
    CHECK(contains(msg, "part.txt:3:"));
    CHECK(contains(msg, "'z.jpg'"));
    // A listed image without a split.
    msg = message_of([&] {
        data::celeba_splits(a, data::parse_celeba_partition("x.jpg 0\n", "part.txt"), "attr.txt", "part.txt");
    });
    CHECK(contains(msg, "attr.txt:4:"));
    CHECK(contains(msg, "'y.jpg'"));
    // An attribute a subset needs is missing.
    const std::vector<std::uint8_t> splits = {0, 0};
    msg = message_of([&] {
        data::select_celeba(a, splits, data::celeba_subset::glasses, data::celeba_split::train, 0, "attr.txt");
    });
    CHECK(contains(msg, "attr.txt:2:"));
    CHECK(contains(msg, "Eyeglasses"));
}

TEST_CASE("celeba: subset sizes and membership follow the papers' rules, per split") {
    // 900 random faces with the attributes the rules read; the expectations are recomputed here.
    std::mt19937 rng(7);
    const int n = 900;
    std::vector<std::array<bool, 4>> attr(n);  // Eyeglasses, Goatee, Mustache, No_Beard
    std::string text = std::to_string(n) + "\nEyeglasses Goatee Mustache No_Beard Smiling\n";
    std::string part;
    std::vector<int> split(n);
    for (int r = 0; r < n; ++r) {
        attr[std::size_t(r)] = {rng() % 6 == 0, rng() % 9 == 0, rng() % 9 == 0, rng() % 5 != 0};
        split[std::size_t(r)] = r % 10 < 8 ? 0 : int(rng() % 2) + 1;
        std::string file("f");  // built by appends: g++ 12 warns (-Wrestrict) falsely on "f" + std::string
        file += std::to_string(r);
        file += ".jpg";
        text += file;
        for (bool v : attr[std::size_t(r)]) text += v ? " 1" : " -1";
        text += " 1\n";
        part += file + " " + std::to_string(split[std::size_t(r)]) + "\n";
    }
    const auto a = data::parse_celeba_attributes(text, "attr");
    const auto splits = data::celeba_splits(a, data::parse_celeba_partition(part, "part"), "attr", "part");
    auto has_glasses = [&](std::int64_t r) { return attr[std::size_t(r)][0]; };
    auto has_hair = [&](std::int64_t r) {
        const auto& v = attr[std::size_t(r)];
        return v[1] || v[2] || !v[3];
    };
    using data::celeba_subset;
    for (int s = 0; s < 3; ++s) {
        CAPTURE(s);
        const auto which = data::celeba_split(s);
        auto check_rule = [&](celeba_subset subset, auto positive, std::size_t ratio) {
            const auto sel = data::select_celeba(a, splits, subset, which, 42, "attr");
            std::size_t pos = 0, neg = 0, chosen_neg = 0;
            for (int r = 0; r < n; ++r)
                if (split[std::size_t(r)] == s) (positive(r) ? pos : neg) += 1;
            std::set<std::int64_t> rows(sel.rows.begin(), sel.rows.end());
            CHECK(rows.size() == sel.rows.size());
            CHECK(std::is_sorted(sel.rows.begin(), sel.rows.end()));
            for (std::int64_t r : sel.rows) {
                CHECK(split[std::size_t(r)] == s);
                if (!positive(r)) ++chosen_neg;
            }
            for (int r = 0; r < n; ++r)
                if (split[std::size_t(r)] == s && positive(r)) CHECK(rows.count(r) == 1);  // every positive
            CHECK(chosen_neg == std::min(ratio * pos, neg));
            CHECK(sel.size() == std::int64_t(pos + std::min(ratio * pos, neg)));
            for (std::size_t i = 0; i < sel.rows.size(); ++i) CHECK(sel.labels[i] == (positive(sel.rows[i]) ? 1 : 0));
            return sel;
        };
        const auto g = check_rule(celeba_subset::glasses, has_glasses, 2);
        CHECK(g.label_names == std::vector<std::string>{"Eyeglasses"});
        const auto h = check_rule(celeba_subset::facial_hair, has_hair, 1);
        CHECK(h.label_names == std::vector<std::string>{"Facial_Hair"});
        // The joint subset: exactly the union of the two, with both labels.
        const auto gh = data::select_celeba(a, splits, celeba_subset::glasses_facial_hair, which, 42, "attr");
        std::vector<std::int64_t> uni;
        std::set_union(g.rows.begin(), g.rows.end(), h.rows.begin(), h.rows.end(), std::back_inserter(uni));
        CHECK(gh.rows == uni);
        CHECK(gh.label_names == std::vector<std::string>{"Eyeglasses", "Facial_Hair"});
        for (std::size_t i = 0; i < gh.rows.size(); ++i) {
            CHECK(gh.labels[2 * i] == (has_glasses(gh.rows[i]) ? 1 : 0));
            CHECK(gh.labels[2 * i + 1] == (has_hair(gh.rows[i]) ? 1 : 0));
        }
        // Deterministic in the seed; another seed picks other negatives.
        CHECK(data::select_celeba(a, splits, celeba_subset::glasses, which, 42, "attr").rows == g.rows);
        CHECK(data::select_celeba(a, splits, celeba_subset::glasses, which, 43, "attr").rows != g.rows);
    }
    // The whole set is the union of the three per-split subsets.
    std::vector<std::int64_t> all;
    for (int s = 0; s < 3; ++s) {
        const auto sel = data::select_celeba(a, splits, celeba_subset::facial_hair, data::celeba_split(s), 5, "attr");
        all.insert(all.end(), sel.rows.begin(), sel.rows.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(data::select_celeba(a, splits, celeba_subset::facial_hair, data::celeba_split::all, 5, "attr").rows == all);
}

TEST_CASE("celeba: the papers' subsets of a CelebA-shaped folder, per split") {
    scratch s("celeba");
    write_celeba(s.dir);
    using data::celeba_split;
    using data::celeba_subset;
    auto make = [&](celeba_subset subset, celeba_split split, std::uint64_t seed = 0) {
        return data::celeba(s.dir, {.subset = subset, .split = split, .side = 16, .seed = seed});
    };
    // CelebA-Glasses. train: 1 and 2 have glasses, 4 of the 6 others are drawn; valid and test hold one
    // face with glasses and one without, so the "twice as many" is capped at one.
    for (std::uint64_t seed : {0u, 1u, 2u}) {
        const auto g = make(celeba_subset::glasses, celeba_split::train, seed);
        const auto got = numbers(g);
        CHECK(got.size() == 6u);
        CHECK(subset_of({1, 2}, got));
        CHECK(subset_of(got, {1, 2, 3, 4, 5, 6, 7, 8}));
        CHECK(g.layout().label_names == std::vector<std::string>{"Eyeglasses"});
        CHECK(g.layout().label_width == 1);
        for (std::int64_t i = 0; i < g.size(); ++i) CHECK(g.labels_of(i)[0] == (glasses(got[std::size_t(i)]) ? 1 : 0));
    }
    CHECK(numbers(make(celeba_subset::glasses, celeba_split::valid)) == std::vector<int>{9, 10});
    CHECK(numbers(make(celeba_subset::glasses, celeba_split::test)) == std::vector<int>{11, 12});
    // Six train faces: C(6, 4) = 15 possible draws; some seed among 16 must differ from seed 0's.
    bool differs = false;
    for (std::uint64_t seed = 1; seed <= 16; ++seed)
        differs |= numbers(make(celeba_subset::glasses, celeba_split::train, seed)) !=
                   numbers(make(celeba_subset::glasses, celeba_split::train, 0));
    CHECK(differs);

    // CelebA-FacialHair: 3 (mustache), 4 (goatee), 5 (beard) plus 3 of the 5 others.
    const auto h = make(celeba_subset::facial_hair, celeba_split::train, 3);
    const auto hn = numbers(h);
    CHECK(hn.size() == 6u);
    CHECK(subset_of({3, 4, 5}, hn));
    CHECK(h.layout().label_names == std::vector<std::string>{"Facial_Hair"});
    for (std::int64_t i = 0; i < h.size(); ++i) CHECK(h.labels_of(i)[0] == (facial_hair(hn[std::size_t(i)]) ? 1 : 0));
    CHECK(numbers(make(celeba_subset::facial_hair, celeba_split::valid)) == std::vector<int>{9, 10});
    CHECK(numbers(make(celeba_subset::facial_hair, celeba_split::test)) == std::vector<int>{11, 12});

    // CelebA-GlassesFacialHair: the union of the two with the same seed, two label columns.
    const auto gh = make(celeba_subset::glasses_facial_hair, celeba_split::train, 3);
    std::vector<int> uni;
    const auto gn = numbers(make(celeba_subset::glasses, celeba_split::train, 3));
    std::set_union(gn.begin(), gn.end(), hn.begin(), hn.end(), std::back_inserter(uni));
    CHECK(numbers(gh) == uni);
    CHECK(gh.layout().label_width == 2);
    CHECK(gh.layout().classes == 2);
    CHECK(gh.layout().label_names == std::vector<std::string>{"Eyeglasses", "Facial_Hair"});
    for (std::int64_t i = 0; i < gh.size(); ++i) {
        const int k = uni[std::size_t(i)];
        CHECK(gh.labels_of(i)[0] == (glasses(k) ? 1 : 0));
        CHECK(gh.labels_of(i)[1] == (facial_hair(k) ? 1 : 0));
    }

    // CCVAE: every face of the split, the paper's 18 labels.
    const auto c = make(celeba_subset::ccvae18, celeba_split::train);
    CHECK(numbers(c) == std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(c.layout().label_names == ccvae18);
    CHECK(c.layout().label_width == 18);
    std::vector<float> x(3 * 16 * 16);
    std::vector<std::int32_t> y(18);
    for (std::int64_t i = 0; i < c.size(); ++i) {
        c.read(i, x.data(), y.data());
        for (std::size_t l = 0; l < 18; ++l)
            CHECK(y[l] == (faces[std::size_t(i)].present.count(ccvae18[l]) ? 1 : 0));
    }
    CHECK(numbers(make(celeba_subset::ccvae18, celeba_split::all)).size() == 12u);

    // All 40 attributes of the test split.
    const auto f = make(celeba_subset::attributes40, celeba_split::test);
    CHECK(numbers(f) == std::vector<int>{11, 12});
    CHECK(f.layout().label_names == names40);
    for (std::size_t l = 0; l < 40; ++l) CHECK(f.labels_of(1)[l] == (faces[11].present.count(names40[l]) ? 1 : 0));
}

TEST_CASE("celeba: images are read centre-cropped and resized, in CHW floats") {
    scratch s("celeba");
    write_celeba(s.dir);
    const data::celeba d(s.dir, {.subset = data::celeba_subset::ccvae18, .split = data::celeba_split::all, .side = 64});
    CHECK(d.layout().shape == std::vector<std::int64_t>{3, 64, 64});
    std::vector<float> x(3 * 64 * 64);
    std::vector<std::int32_t> y(18);
    for (std::int64_t i = 0; i < d.size(); ++i) {
        d.read(i, x.data(), y.data());
        const face_rgb c = colour_of(int(i) + 1);
        const int v[3] = {c.r, c.g, c.b};
        float worst = 0;
        // Image 7 has a white band above and below its centred square: the crop must cut it off,
        // whereas a plain resize of 178×218 would show it in the top and bottom rows.
        for (int ch = 0; ch < 3; ++ch)
            for (int p = 0; p < 64 * 64; ++p)
                worst = std::max(worst, std::abs(x[std::size_t(ch * 4096 + p)] - float(v[ch]) / 255.0f));
        CAPTURE(i);
        CHECK(worst <= (i == 6 ? 8.0f / 255.0f : jpeg_tol));  // the band's JPEG ringing leaks a little
    }
}

TEST_CASE("celeba: the decoded cache stays within its capacity") {
    scratch s("celeba");
    write_celeba(s.dir);
    const data::celeba d(s.dir, {.subset = data::celeba_subset::ccvae18, .split = data::celeba_split::all,
                                 .side = 8, .cache_images = 3});
    std::vector<float> x(3 * 8 * 8);
    std::vector<std::int32_t> y(18);
    for (int round = 0; round < 2; ++round)
        for (std::int64_t i = 0; i < 3; ++i) d.read(i, x.data(), y.data());
    CHECK(d.decodes() == 3);  // the second round hit the cache
    for (std::int64_t i = 0; i < d.size(); ++i) {
        d.read(i, x.data(), y.data());
        CHECK(d.cached() <= 3u);
    }
    CHECK(d.decodes() == 3 + 9);  // 0-2 hit, 3-11 decoded
    d.read(0, x.data(), y.data());  // evicted long ago
    CHECK(d.decodes() == 13);
    d.read(11, x.data(), y.data());  // among the last three
    CHECK(d.decodes() == 13);

    // Several threads at once (as a background loader and the training loop would) see the serial images.
    const data::celeba serial(s.dir, {.subset = data::celeba_subset::ccvae18, .split = data::celeba_split::all,
                                      .side = 8, .cache_images = 0});
    std::vector<std::vector<float>> want(12, std::vector<float>(192));
    for (std::int64_t i = 0; i < 12; ++i) serial.read(i, want[std::size_t(i)].data(), y.data());
    std::vector<int> bad(3, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            std::vector<float> xx(192);
            std::vector<std::int32_t> yy(18);
            for (int r = 0; r < 40; ++r) {
                const std::int64_t i = (r * 7 + t) % 12;
                d.read(i, xx.data(), yy.data());
                if (xx != want[std::size_t(i)]) ++bad[std::size_t(t)];
            }
        });
    for (auto& th : threads) th.join();
    for (int b : bad) CHECK(b == 0);
    CHECK(d.cached() <= 3u);
}

TEST_CASE("celeba: missing files, bad images and bad text are io_errors naming the file") {
    scratch s("celeba");
    const fs::path attr = s.dir / "list_attr_celeba.txt", part = s.dir / "list_eval_partition.txt",
                   imgs = s.dir / "img_align_celeba";
    auto open = [&](bool check = true) {
        return data::celeba(s.dir, {.split = data::celeba_split::all, .side = 8, .check_images = check});
    };
    // Nothing there yet: the image folder, then each text file, is named.
    CHECK(contains(message_of([&] { open(); }), imgs.string()));
    write_celeba(s.dir);
    fs::remove(attr);
    CHECK(contains(message_of([&] { open(); }), attr.string()));
    write_text(attr, attribute_text(faces));
    fs::remove(part);
    CHECK(contains(message_of([&] { open(); }), part.string()));

    // Malformed text through the dataset: the full path and the line.
    auto lines = partition_text(faces);
    write_text(part, lines + "000099.jpg 1\n");  // unknown file in the partition, line 13
    CHECK(contains(message_of([&] { open(); }), part.string() + ":13:"));
    write_text(part, lines.substr(0, lines.rfind("000012")) + "000012.jpg 7\n");
    CHECK(contains(message_of([&] { open(); }), part.string() + ":12:"));
    write_text(part, lines);
    auto text = attribute_text(faces);
    text.replace(text.find("000005.jpg") + 10, 3, "  0");  // a bad value on line 7
    write_text(attr, text);
    CHECK(contains(message_of([&] { open(); }), attr.string() + ":7:"));
    text = attribute_text(faces);
    text.replace(text.find("000005.jpg") + 10, 3, "");  // a missing column on line 7
    write_text(attr, text);
    CHECK(contains(message_of([&] { open(); }), attr.string() + ":7:"));
    text = attribute_text(faces);
    write_text(attr, "13" + text.substr(2));  // a wrong count
    CHECK(contains(message_of([&] { open(); }), attr.string() + ":1:"));
    write_text(attr, text + file_of(3) + text.substr(text.find("000003.jpg") + 10, 120));  // a duplicate of line 5
    CHECK(contains(message_of([&] { open(); }), attr.string() + ":15:"));
    write_text(attr, text);

    // A listed image that is missing: at construction, or (unchecked) at the read.
    fs::rename(imgs / file_of(4), s.dir / "aside.jpg");
    CHECK(contains(message_of([&] { open(); }), (imgs / file_of(4)).string()));
    const auto unchecked = open(false);
    std::vector<float> x(3 * 8 * 8);
    std::vector<std::int32_t> y(40);
    unchecked.read(2, x.data(), y.data());
    CHECK(contains(message_of([&] { unchecked.read(3, x.data(), y.data()); }), (imgs / file_of(4)).string()));
    fs::rename(s.dir / "aside.jpg", imgs / file_of(4));

    // A truncated JPEG and a file that is no image at all fail when read, naming the image.
    const auto d = open();
    const auto jpg = face_jpeg(colour_of(5), false);
    write_bytes(imgs / file_of(5), {jpg.begin(), jpg.begin() + std::ptrdiff_t(jpg.size() * 2 / 3)});
    CHECK(contains(message_of([&] { d.read(4, x.data(), y.data()); }), (imgs / file_of(5)).string()));
    write_text(imgs / file_of(6), "<html>not a face</html>\n");
    CHECK(contains(message_of([&] { d.read(5, x.data(), y.data()); }), (imgs / file_of(6)).string()));
    d.read(6, x.data(), y.data());  // the others still read
}
