// latent/data/celeba.hpp: CelebA (Liu et al., ICCV 2015) and the subsets the papers train on.
//
// The aligned-and-cropped release is a folder holding
//   img_align_celeba/000001.jpg …   178×218 JPEG faces
//   list_attr_celeba.txt            line 1: the image count; line 2: the 40 attribute names;
//                                   then "<file> <one of 1/-1 per attribute>", whitespace-separated
//   list_eval_partition.txt         "<file> <0|1|2>": train, validation, test
// Images are streamed from disk (decoded, centre-cropped and resized by
// data/image_folder.hpp) through a bounded LRU cache; the attributes and
// partition are parsed once, by pure functions on text (so they can be fuzzed)
// whose errors name the file and the line.
//
// Subsets (each built independently within each split, as the CSVAE paper does):
//   glasses              all images with Eyeglasses plus twice as many without (CSVAE's CelebA-Glasses)
//   facial_hair          all images with Mustache, Goatee or not No_Beard, plus as many without
//                        (CSVAE's CelebA-FacialHair)
//   glasses_facial_hair  the union of the two above, with both labels (CSVAE's CelebA-GlassesFacialHair)
//   ccvae18              every image, with the 18 labels CCVAE keeps (Joy et al. 2021, § C.1)
//   attributes40         every image, with all the attributes of the file
// The images "without" are drawn without replacement by a seeded Philox
// shuffle: the same seed gives the same subset on every machine.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/core/rng.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/detail/image_cache.hpp"
#include "latent/data/image_folder.hpp"

namespace latent::data {

/// The contents of list_attr_celeba.txt.
struct celeba_attributes {
    std::vector<std::string> names;   ///< attribute names, in file order
    std::vector<std::string> files;   ///< image file names, in file order
    std::vector<std::int64_t> lines;  ///< the (1-based) line each file is on
    std::vector<std::uint8_t> values; ///< files × names, row-major: 1 where the attribute is present (file's 1)

    std::int64_t size() const { return static_cast<std::int64_t>(files.size()); }
    /// The column of an attribute, or -1 when the file has none of that name.
    int column(std::string_view name) const {
        for (std::size_t k = 0; k < names.size(); ++k)
            if (names[k] == name) return static_cast<int>(k);
        return -1;
    }
    bool has(std::int64_t row, int col) const {
        return values[static_cast<std::size_t>(row) * names.size() + static_cast<std::size_t>(col)] != 0;
    }
};

/// The contents of list_eval_partition.txt.
struct celeba_partition {
    std::vector<std::string> files;
    std::vector<std::int64_t> lines;  ///< the (1-based) line each file is on
    std::vector<std::uint8_t> split;  ///< 0 train, 1 validation, 2 test
};

/// Which of CelebA's own splits.
enum class celeba_split { train = 0, valid = 1, test = 2, all = 3 };

/// Which subset and labels (see the top of this header).
enum class celeba_subset { attributes40, glasses, facial_hair, glasses_facial_hair, ccvae18 };

/// The 18 attributes CCVAE keeps as labels, those "distinguishable in reconstructions" (Joy et al.,
/// "Capturing Label Characteristics in VAEs", ICLR 2021, § C.1: arched eyebrows, bags under eyes, bangs,
/// black hair, blond hair, brown hair, bushy eyebrows, chubby, eyeglasses, heavy makeup, male, no beard,
/// pale skin, receding hairline, smiling, wavy hair, wearing necktie, young), spelled as CelebA's columns.
inline constexpr const char* ccvae_celeba_labels[18] = {
    "Arched_Eyebrows", "Bags_Under_Eyes", "Bangs",     "Black_Hair",        "Blond_Hair", "Brown_Hair",
    "Bushy_Eyebrows",  "Chubby",          "Eyeglasses", "Heavy_Makeup",     "Male",       "No_Beard",
    "Pale_Skin",       "Receding_Hairline", "Smiling",  "Wavy_Hair",        "Wearing_Necktie", "Young"};

/// The name of the derived facial-hair label (Mustache or Goatee or not No_Beard).
inline constexpr const char* celeba_facial_hair_label = "Facial_Hair";

namespace detail {

/// Lines of a text with their 1-based numbers; a final '\r' is dropped (files written on Windows).
class line_reader {
public:
    explicit line_reader(std::string_view text) : text_(text) {}
    bool next(std::string_view& line) {
        if (pos_ >= text_.size()) return false;
        const std::size_t end = text_.find('\n', pos_);
        const std::size_t stop = end == std::string_view::npos ? text_.size() : end;
        line = text_.substr(pos_, stop - pos_);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos_ = end == std::string_view::npos ? text_.size() : end + 1;
        ++number_;
        return true;
    }
    std::int64_t number() const { return number_; }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::int64_t number_ = 0;
};

inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

/// Splits a line at runs of blanks into `out` (cleared first).
inline void split_fields(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) ++i;
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
}

/// A field as it may be quoted in a message: at most 40 characters, non-printable bytes as '?'.
inline std::string quoted(std::string_view field) {
    std::string s = "'";
    for (std::size_t k = 0; k < field.size() && k < 40; ++k) {
        const unsigned char c = static_cast<unsigned char>(field[k]);
        s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (field.size() > 40) s += "...";
    return s + "'";
}

/// Whether a listed name can be joined to the image folder without leaving it.
inline bool plain_file_name(std::string_view f) {
    if (f.empty() || f == "." || f == "..") return false;
    for (char c : f)
        if (c == '/' || c == '\\' || c == '\0') return false;
    return true;
}

/// A whole text file; io_error naming it when it is missing or unreadable.
inline std::string read_text_file(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::error_code ec;
    LATENT_CHECK(std::filesystem::is_regular_file(path, ec) && !ec, io_error, name, ": no such file");
    std::ifstream in(path, std::ios::binary);
    LATENT_CHECK(in.is_open(), io_error, name, ": cannot open");
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    LATENT_CHECK(!in.bad(), io_error, name, ": read error");
    return text;
}

}  // namespace detail

/// Parses list_attr_celeba.txt from its text; `file_name` is only used in messages.
///
/// ensures: io_error "<file_name>:<line>: <what>" for: a first line that is not one non-negative count;
///          a second line without names or with a name twice; an image line whose file is not a plain
///          file name (no '/', '\\', '.', '..'), with fewer or more values than names, a value other than
///          1 or -1, or a file already listed (the message gives the earlier line); and a count that
///          disagrees with the number of image lines. Blank lines after the names are skipped.
///          Allocation is proportional to the text, whatever the count claims.
inline celeba_attributes parse_celeba_attributes(std::string_view text, const std::string& file_name) {
    celeba_attributes out;
    detail::line_reader lines(text);
    std::string_view line;
    std::vector<std::string_view> fields;

    LATENT_CHECK(lines.next(line), io_error, file_name, ":1: empty file (expected the image count)");
    detail::split_fields(line, fields);
    std::int64_t count = -1;
    if (fields.size() == 1) {
        const char* first = fields[0].data();
        const char* last = first + fields[0].size();
        const auto [end, ec] = std::from_chars(first, last, count);
        if (ec != std::errc{} || end != last) count = -1;
    }
    LATENT_CHECK(count >= 0, io_error, file_name, ":1: expected the image count alone on the first line, got ",
                 detail::quoted(line));

    LATENT_CHECK(lines.next(line), io_error, file_name, ":2: missing the line of attribute names");
    detail::split_fields(line, fields);
    LATENT_CHECK(!fields.empty(), io_error, file_name, ":2: no attribute names on the second line");
    for (std::string_view n : fields) {
        for (const auto& seen : out.names)
            LATENT_CHECK(seen != n, io_error, file_name, ":2: attribute ", detail::quoted(n), " named twice");
        out.names.emplace_back(n);
    }
    const std::size_t width = out.names.size();

    std::unordered_map<std::string_view, std::int64_t> line_of;  // views into `text`
    while (lines.next(line)) {
        detail::split_fields(line, fields);
        if (fields.empty()) continue;
        const std::int64_t at = lines.number();
        LATENT_CHECK(detail::plain_file_name(fields[0]), io_error, file_name, ":", at, ": ",
                     detail::quoted(fields[0]), " is not a plain image file name");
        LATENT_CHECK(fields.size() - 1 == width, io_error, file_name, ":", at, ": ", fields.size() - 1,
                     " values for ", width, " attributes (", detail::quoted(fields[0]), ")");
        const auto [it, fresh] = line_of.emplace(fields[0], at);
        LATENT_CHECK(fresh, io_error, file_name, ":", at, ": ", detail::quoted(fields[0]),
                     " is already listed on line ", it->second);
        for (std::size_t k = 1; k <= width; ++k) {
            const std::string_view v = fields[k];
            LATENT_CHECK(v == "1" || v == "-1", io_error, file_name, ":", at, ": value ", detail::quoted(v),
                         " of attribute ", out.names[k - 1], " is neither 1 nor -1");
            out.values.push_back(v == "1" ? 1 : 0);
        }
        out.files.emplace_back(fields[0]);
        out.lines.push_back(at);
    }
    LATENT_CHECK(out.size() == count, io_error, file_name, ":1: the count says ", count, " images but ",
                 out.size(), " image lines follow");
    return out;
}

/// Parses list_eval_partition.txt from its text; `file_name` is only used in messages.
///
/// ensures: io_error "<file_name>:<line>: <what>" for a line that is not a plain file name and one of
///          0, 1, 2, and for a file already listed. Blank lines are skipped.
inline celeba_partition parse_celeba_partition(std::string_view text, const std::string& file_name) {
    celeba_partition out;
    detail::line_reader lines(text);
    std::string_view line;
    std::vector<std::string_view> fields;
    std::unordered_map<std::string_view, std::int64_t> line_of;
    while (lines.next(line)) {
        detail::split_fields(line, fields);
        if (fields.empty()) continue;
        const std::int64_t at = lines.number();
        LATENT_CHECK(fields.size() == 2, io_error, file_name, ":", at, ": expected \"<file> <0|1|2>\", got ",
                     fields.size(), " fields");
        LATENT_CHECK(detail::plain_file_name(fields[0]), io_error, file_name, ":", at, ": ",
                     detail::quoted(fields[0]), " is not a plain image file name");
        const std::string_view v = fields[1];
        LATENT_CHECK(v == "0" || v == "1" || v == "2", io_error, file_name, ":", at, ": partition ",
                     detail::quoted(v), " of ", detail::quoted(fields[0]),
                     " is not 0 (train), 1 (validation) or 2 (test)");
        const auto [it, fresh] = line_of.emplace(fields[0], at);
        LATENT_CHECK(fresh, io_error, file_name, ":", at, ": ", detail::quoted(fields[0]),
                     " is already listed on line ", it->second);
        out.files.emplace_back(fields[0]);
        out.lines.push_back(at);
        out.split.push_back(static_cast<std::uint8_t>(v[0] - '0'));
    }
    return out;
}

/// The split (0, 1, 2) of every attribute row, matched by file name.
///
/// ensures: io_error naming `partition_file` and the line of a file the attributes do not list, or
///          `attributes_file` and the line of a file the partition does not list.
inline std::vector<std::uint8_t> celeba_splits(const celeba_attributes& attributes, const celeba_partition& partition,
                                               const std::string& attributes_file, const std::string& partition_file) {
    std::unordered_map<std::string_view, std::size_t> row_of;
    for (std::size_t r = 0; r < attributes.files.size(); ++r) row_of.emplace(attributes.files[r], r);
    constexpr std::uint8_t none = 0xff;
    std::vector<std::uint8_t> split(attributes.files.size(), none);
    for (std::size_t p = 0; p < partition.files.size(); ++p) {
        const auto it = row_of.find(partition.files[p]);
        LATENT_CHECK(it != row_of.end(), io_error, partition_file, ":", partition.lines[p], ": ",
                     detail::quoted(partition.files[p]), " is not listed in ", attributes_file);
        split[it->second] = partition.split[p];
    }
    for (std::size_t r = 0; r < split.size(); ++r)
        LATENT_CHECK(split[r] != none, io_error, attributes_file, ":", attributes.lines[r], ": ",
                     detail::quoted(attributes.files[r]), " has no split in ", partition_file);
    return split;
}

/// The examples of a subset: attribute rows (ascending) and their labels.
struct celeba_selection {
    std::vector<std::int64_t> rows;         ///< rows of celeba_attributes, ascending
    std::vector<std::int32_t> labels;       ///< rows × label_names, 0/1
    std::vector<std::string> label_names;
    std::int64_t size() const { return static_cast<std::int64_t>(rows.size()); }
};

namespace detail {

/// `k` of `pool` drawn without replacement (partial Fisher–Yates on Philox draws), returned ascending.
/// The modulo's bias is below n/2⁶⁴: nothing for a data set.
inline std::vector<std::int64_t> draw_without_replacement(std::vector<std::int64_t> pool, std::size_t k,
                                                          std::uint64_t seed, std::uint64_t stream) {
    k = std::min(k, pool.size());
    generator gen(seed, stream);
    const philox_range r = gen.take(k);
    for (std::size_t i = 0; i < k; ++i) {
        const uint32x4 b = r.block(i);
        const std::uint64_t word = (static_cast<std::uint64_t>(b.w[1]) << 32) | b.w[0];
        const std::size_t j = i + static_cast<std::size_t>(word % (pool.size() - i));
        std::swap(pool[i], pool[j]);
    }
    pool.resize(k);
    std::sort(pool.begin(), pool.end());
    return pool;
}

/// The attribute's column; io_error naming the file's line 2 when it has none.
inline int require_column(const celeba_attributes& a, std::string_view name, const std::string& attributes_file) {
    const int c = a.column(name);
    LATENT_CHECK(c >= 0, io_error, attributes_file, ":2: no attribute ", detail::quoted(name),
                 " (the CelebA subsets need it)");
    return c;
}

/// All positives of one split plus `ratio` times as many negatives (fewer if the split has fewer).
template <class Positive>
std::vector<std::int64_t> positives_and_negatives(const std::vector<std::uint8_t>& splits, int split, Positive positive,
                                                  std::size_t ratio, std::uint64_t seed, std::uint64_t stream) {
    std::vector<std::int64_t> pos, neg;
    for (std::size_t r = 0; r < splits.size(); ++r) {
        if (splits[r] != split) continue;
        (positive(static_cast<std::int64_t>(r)) ? pos : neg).push_back(static_cast<std::int64_t>(r));
    }
    std::vector<std::int64_t> chosen = draw_without_replacement(std::move(neg), ratio * pos.size(), seed, stream);
    std::vector<std::int64_t> out(pos.size() + chosen.size());
    std::merge(pos.begin(), pos.end(), chosen.begin(), chosen.end(), out.begin());
    return out;
}

}  // namespace detail

/// Builds a subset of one split (or of all three: the union of the per-split subsets).
///
/// requires: `splits` from celeba_splits (one per attribute row).
/// ensures:  rows ascending; glasses: every row of the split with Eyeglasses plus min(2·positives, negatives)
///           rows without, label {Eyeglasses}; facial_hair: every row with Mustache or Goatee or not No_Beard
///           plus min(positives, negatives) rows without, label {Facial_Hair}; glasses_facial_hair: the
///           union of those two (same seed), labels {Eyeglasses, Facial_Hair}; ccvae18: every row of the
///           split, the 18 labels of ccvae_celeba_labels; attributes40: every row, every attribute.
///           The rows without are a function of (seed, split, subset) only. io_error naming
///           `attributes_file` when an attribute the subset needs is missing.
inline celeba_selection select_celeba(const celeba_attributes& a, const std::vector<std::uint8_t>& splits,
                                      celeba_subset subset, celeba_split split, std::uint64_t seed,
                                      const std::string& attributes_file) {
    LATENT_CHECK(splits.size() == a.files.size(), config_error, "select_celeba: ", splits.size(), " splits for ",
                 a.files.size(), " attribute rows");
    LATENT_CHECK(static_cast<int>(split) >= 0 && static_cast<int>(split) <= 3, config_error,
                 "select_celeba: split ", static_cast<int>(split), " is not train, valid, test or all");
    celeba_selection out;
    std::vector<int> columns;  // attribute columns copied as labels; -1 marks the derived facial-hair label
    int glasses = -1, mustache = -1, goatee = -1, no_beard = -1;
    const bool want_glasses = subset == celeba_subset::glasses || subset == celeba_subset::glasses_facial_hair;
    const bool want_hair = subset == celeba_subset::facial_hair || subset == celeba_subset::glasses_facial_hair;
    if (want_glasses) glasses = detail::require_column(a, "Eyeglasses", attributes_file);
    if (want_hair) {
        mustache = detail::require_column(a, "Mustache", attributes_file);
        goatee = detail::require_column(a, "Goatee", attributes_file);
        no_beard = detail::require_column(a, "No_Beard", attributes_file);
    }
    auto has_glasses = [&](std::int64_t r) { return a.has(r, glasses); };
    auto has_hair = [&](std::int64_t r) { return a.has(r, mustache) || a.has(r, goatee) || !a.has(r, no_beard); };

    switch (subset) {
    case celeba_subset::attributes40:
        for (std::size_t k = 0; k < a.names.size(); ++k) columns.push_back(static_cast<int>(k));
        break;
    case celeba_subset::ccvae18:
        for (const char* n : ccvae_celeba_labels) columns.push_back(detail::require_column(a, n, attributes_file));
        break;
    case celeba_subset::glasses: columns = {glasses}; break;
    case celeba_subset::facial_hair: columns = {-1}; break;
    case celeba_subset::glasses_facial_hair: columns = {glasses, -1}; break;
    }
    LATENT_CHECK(!columns.empty(), config_error, "select_celeba: unknown subset ", static_cast<int>(subset));
    for (int c : columns) out.label_names.push_back(c >= 0 ? a.names[static_cast<std::size_t>(c)] : celeba_facial_hair_label);

    for (int s = 0; s < 3; ++s) {
        if (split != celeba_split::all && static_cast<int>(split) != s) continue;
        // Streams keep the draws of each (subset, split) independent; the union subset reuses the
        // streams of its two parts, so it holds exactly their images.
        const std::uint64_t glasses_stream = 2 * static_cast<std::uint64_t>(s), hair_stream = glasses_stream + 1;
        std::vector<std::int64_t> rows;
        if (want_glasses) rows = detail::positives_and_negatives(splits, s, has_glasses, 2, seed, glasses_stream);
        if (want_hair) {
            const auto hair = detail::positives_and_negatives(splits, s, has_hair, 1, seed, hair_stream);
            std::vector<std::int64_t> merged;
            std::set_union(rows.begin(), rows.end(), hair.begin(), hair.end(), std::back_inserter(merged));
            rows = std::move(merged);
        }
        if (!want_glasses && !want_hair)
            for (std::size_t r = 0; r < splits.size(); ++r)
                if (splits[r] == s) rows.push_back(static_cast<std::int64_t>(r));
        out.rows.insert(out.rows.end(), rows.begin(), rows.end());
    }
    std::sort(out.rows.begin(), out.rows.end());
    for (std::int64_t r : out.rows)
        for (int c : columns) out.labels.push_back((c >= 0 ? a.has(r, c) : has_hair(r)) ? 1 : 0);
    return out;
}

/// Options of celeba: `celeba(root, {.subset = celeba_subset::glasses, .split = celeba_split::test})`.
struct celeba_options {
    celeba_subset subset = celeba_subset::attributes40;
    celeba_split split = celeba_split::train;
    int side = 64;                    ///< examples are 3 × side × side
    std::uint64_t seed = 0;           ///< picks the images "without" of the glasses and facial-hair subsets
    std::size_t cache_images = 1024;  ///< decoded images kept (LRU), each 12·side² bytes (48 KiB at 64); 0: none
    bool check_images = true;         ///< check at construction that every selected image file exists
};

/// CelebA from its folder, as a data::source streaming images from disk.
///
/// requires: `root` holds img_align_celeba/, list_attr_celeba.txt and list_eval_partition.txt.
/// ensures:  the examples of select_celeba(options.subset, options.split, options.seed), in file order;
///           layout {3, side, side}, label_width = the subset's label count, classes 2, label_names set.
///           read() decodes through a bounded LRU cache shared by copies, and is thread-safe.
///           io_error naming the file (and line) for a missing or malformed text file, a missing image
///           (at construction with check_images, otherwise on read), and an image that does not decode.
class celeba {
public:
    explicit celeba(const std::filesystem::path& root, celeba_options options = {}) : options_(options) {
        LATENT_CHECK(options_.side >= 1 && options_.side <= image_max_side, config_error, "celeba_options: side ",
                     options_.side, " outside 1..", image_max_side);
        const std::filesystem::path attr_path = root / "list_attr_celeba.txt";
        const std::filesystem::path part_path = root / "list_eval_partition.txt";
        images_ = root / "img_align_celeba";
        std::error_code ec;
        LATENT_CHECK(std::filesystem::is_directory(images_, ec) && !ec, io_error, images_.string(),
                     ": no such directory");
        const std::string attr_name = attr_path.string(), part_name = part_path.string();
        celeba_attributes attributes = parse_celeba_attributes(detail::read_text_file(attr_path), attr_name);
        const celeba_partition partition = parse_celeba_partition(detail::read_text_file(part_path), part_name);
        const std::vector<std::uint8_t> splits = celeba_splits(attributes, partition, attr_name, part_name);
        celeba_selection selection =
            select_celeba(attributes, splits, options_.subset, options_.split, options_.seed, attr_name);
        for (std::int64_t r : selection.rows) files_.push_back(attributes.files[static_cast<std::size_t>(r)]);
        if (options_.check_images)
            for (const auto& f : files_)
                LATENT_CHECK(std::filesystem::is_regular_file(images_ / f, ec) && !ec, io_error,
                             (images_ / f).string(), ": no such file (listed in ", attr_name, ")");
        labels_ = std::move(selection.labels);
        layout_.shape = {3, options_.side, options_.side};
        layout_.label_width = static_cast<int>(selection.label_names.size());
        layout_.classes = 2;
        layout_.label_names = std::move(selection.label_names);
        cache_ = std::make_shared<detail::image_cache>(options_.cache_images);
    }

    std::int64_t size() const { return static_cast<std::int64_t>(files_.size()); }
    const example_layout& layout() const { return layout_; }

    /// Writes example i's 3·side² features to x and its label_width 0/1 labels to y.
    void read(std::int64_t i, float* x, std::int32_t* y) const {
        LATENT_CHECK(i >= 0 && i < size(), shape_error, "celeba: example ", i, " of ", size());
        const std::size_t k = static_cast<std::size_t>(i);
        cache_->get_or_decode(i, x, static_cast<std::size_t>(layout_.features()),
                              [&](std::vector<float>& out) { out = load_image(images_ / files_[k], options_.side); });
        const std::size_t w = static_cast<std::size_t>(layout_.label_width);
        for (std::size_t c = 0; c < w; ++c) y[c] = labels_[k * w + c];
    }

    /// Example i's image file name (e.g. "000042.jpg").
    const std::string& file(std::int64_t i) const { return files_.at(static_cast<std::size_t>(i)); }
    /// Example i's labels, without decoding its image.
    const std::int32_t* labels_of(std::int64_t i) const {
        return labels_.data() + i * static_cast<std::int64_t>(layout_.label_width);
    }
    const std::vector<std::int32_t>& labels() const { return labels_; }
    /// Images decoded so far by this dataset and its copies (reads that missed the cache).
    std::int64_t decodes() const { return cache_->decodes(); }
    /// Images resident in the cache now (at most options.cache_images).
    std::size_t cached() const { return cache_->resident(); }

private:
    celeba_options options_;
    std::filesystem::path images_;
    example_layout layout_;
    std::vector<std::string> files_;
    std::vector<std::int32_t> labels_;
    std::shared_ptr<detail::image_cache> cache_;
};

static_assert(source<celeba>);

}  // namespace latent::data
