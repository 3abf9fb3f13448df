// latent/io/csv.hpp: CSV tables (RFC 4180 quoting) and the `latents.csv` file.
//
// A field is quoted when it holds a comma, a double quote, a line break, or
// leading or trailing spaces; quotes inside are doubled. Lines end in "\n".
// Numbers are written in the shortest form that reads back to the same value
// (std::to_chars), so a table is deterministic and exact; NaN and infinities
// appear as `nan`, `inf`, `-inf`. Files are written atomically.
#pragma once

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"

namespace latent {

/// `field` as it must appear in a CSV line: verbatim, or quoted with inner quotes doubled.
inline std::string csv_field(std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.back() == ' '));
    if (!quote) return std::string(field);
    std::string out = "\"";
    for (char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
    return out;
}

/// The shortest decimal text that reads back as exactly `v` ("nan", "inf", "-inf" for those).
template <class T>
std::string csv_number(T v) {
    char buffer[64];
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
    LATENT_CHECK(ec == std::errc{}, config_error, "csv_number: cannot format a number");  // cannot happen at 64 chars
    return std::string(buffer, end);
}

/// A CSV table built row by row, then rendered or written to a file.
/// requires: every row has as many fields as the header (config_error otherwise).
class csv_table {
public:
    explicit csv_table(std::vector<std::string> header) : header_(std::move(header)) {
        LATENT_CHECK(!header_.empty(), config_error, "csv_table: a table needs at least one column");
    }

    /// Appends a row of already formatted fields (csv_number for numbers).
    void add_row(std::vector<std::string> fields) {
        LATENT_CHECK(fields.size() == header_.size(), config_error, "csv_table: a row of ", fields.size(),
                     " fields in a table of ", header_.size(), " columns");
        rows_.push_back(std::move(fields));
    }

    const std::vector<std::string>& header() const { return header_; }
    std::size_t rows() const { return rows_.size(); }

    /// The whole table as CSV text, header first.
    std::string str() const {
        std::string out;
        append_line(out, header_);
        for (const auto& r : rows_) append_line(out, r);
        return out;
    }

    /// Writes str() to `path` atomically; io_error naming the file on failure.
    void write(const std::filesystem::path& path) const {
        const std::string text = str();
        write_file_atomically(path, [&](atomic_file_writer& out) { out.write(text.data(), text.size()); });
    }

private:
    static void append_line(std::string& out, const std::vector<std::string>& fields) {
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i) out += ',';
            out += csv_field(fields[i]);
        }
        out += '\n';
    }

    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

/// One latent segment for write_latents_csv: its name and its posterior means,
/// a row-major [n, dim] host matrix (one row per example). Views; the caller keeps the data.
struct latent_segment_view {
    std::string name;
    std::int64_t dim = 0;
    std::span<const float> means;
};

/// The labels for write_latents_csv: their names and a row-major [n, L] matrix, L = names.size().
/// One label (L = 1): its integer class. Several labels: each 0 or 1.
struct latent_labels_view {
    std::vector<std::string> names;
    std::span<const std::int32_t> values;
};

/// The `latents.csv` table: one row per example, columns exactly
///   split,
///   label                 (one label: its integer class)   or   label_<name>, ...  (several labels: 0/1),
///   <segment>_0, ..., <segment>_<dim-1>   for each segment in the given (partition) order,
/// holding posterior means; no other columns. With no labels (L = 0) there is no label column.
/// requires: splits.size() = n (each non-empty); labels.values.size() = n·L; each segment's
///           means.size() = n·dim with dim >= 1; names non-empty and the column names unique;
///           several labels hold only 0 and 1. Otherwise shape_error (sizes) or config_error.
inline csv_table latents_table(std::span<const std::string> splits, const latent_labels_view& labels,
                               std::span<const latent_segment_view> segments) {
    const std::size_t n = splits.size(), L = labels.names.size();
    LATENT_CHECK(labels.values.size() == n * L, shape_error, "latents.csv: ", labels.values.size(),
                 " label values for ", n, " rows and ", L, " labels");
    std::vector<std::string> header{"split"};
    if (L == 1) header.emplace_back("label");
    if (L > 1)
        for (const auto& name : labels.names) {
            LATENT_CHECK(!name.empty(), config_error, "latents.csv: a label has an empty name");
            header.push_back("label_" + name);
        }
    for (const auto& s : segments) {
        LATENT_CHECK(!s.name.empty(), config_error, "latents.csv: a segment has an empty name");
        LATENT_CHECK(s.dim >= 1, shape_error, "latents.csv: segment '", s.name, "' has dimension ", s.dim);
        LATENT_CHECK(s.means.size() == n * static_cast<std::size_t>(s.dim), shape_error, "latents.csv: segment '",
                     s.name, "' holds ", s.means.size(), " values, not [", n, ", ", s.dim, "]");
        for (std::int64_t i = 0; i < s.dim; ++i) header.push_back(s.name + "_" + std::to_string(i));
    }
    std::set<std::string> unique(header.begin(), header.end());
    LATENT_CHECK(unique.size() == header.size(), config_error,
                 "latents.csv: two columns would have the same name (segment or label names repeat or collide)");

    csv_table table(std::move(header));
    for (std::size_t r = 0; r < n; ++r) {
        LATENT_CHECK(!splits[r].empty(), config_error, "latents.csv: row ", r, " has an empty split name");
        std::vector<std::string> row{splits[r]};
        for (std::size_t l = 0; l < L; ++l) {
            const std::int32_t y = labels.values[r * L + l];
            LATENT_CHECK(L == 1 || y == 0 || y == 1, config_error, "latents.csv: label '", labels.names[l], "' of row ",
                         r, " is ", y, "; with several labels each must be 0 or 1");
            row.push_back(std::to_string(y));
        }
        for (const auto& s : segments)
            for (std::int64_t i = 0; i < s.dim; ++i)
                row.push_back(csv_number(s.means[r * static_cast<std::size_t>(s.dim) + static_cast<std::size_t>(i)]));
        table.add_row(std::move(row));
    }
    return table;
}

/// latents_table written to `path` (conventionally `latents.csv`), atomically.
inline void write_latents_csv(const std::filesystem::path& path, std::span<const std::string> splits,
                              const latent_labels_view& labels, std::span<const latent_segment_view> segments) {
    latents_table(splits, labels, segments).write(path);
}

}  // namespace latent
