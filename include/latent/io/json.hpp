// latent/io/json.hpp: `metrics.json`, one flat JSON object of named numbers.
//
// Every example writes its results this way, so that scripts and docs can read
// them without parsing logs. Names keep the order they were first set in.
//
// NaN and infinities are written as `null`: JSON has no such numbers, and a
// diverged run should still leave its other metrics readable rather than fail at
// the end. read_metrics_json reads `null` back as a quiet NaN.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "latent/core/error.hpp"
#include "latent/io/atomic_file.hpp"

namespace latent {

/// Named numbers, in the order first set. Setting a name again replaces its value.
class metrics {
public:
    /// Sets `name` (non-empty; config_error otherwise) to `value`.
    metrics& set(std::string_view name, double value) {
        LATENT_CHECK(!name.empty(), config_error, "metrics: a metric needs a name");
        for (auto& [n, v] : values_)
            if (n == name) {
                v = value;
                return *this;
            }
        values_.emplace_back(std::string(name), value);
        return *this;
    }

    bool contains(std::string_view name) const { return find(name) != nullptr; }
    /// The value of `name`; config_error if there is none.
    double get(std::string_view name) const {
        const double* v = find(name);
        LATENT_CHECK(v != nullptr, config_error, "metrics: no metric '", name, "'");
        return *v;
    }
    std::size_t size() const { return values_.size(); }
    const std::vector<std::pair<std::string, double>>& entries() const { return values_; }

    /// The JSON text: one object, names in order, non-finite values as null, ending in a newline.
    /// Integers up to 2^53 are written without a fraction (5, not 5.0).
    std::string dump(int indent = 2) const {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        for (const auto& [n, v] : values_) {
            if (!std::isfinite(v))
                j[n] = nullptr;
            else if (v == std::floor(v) && std::fabs(v) <= 9007199254740992.0)
                j[n] = static_cast<std::int64_t>(v);
            else
                j[n] = v;
        }
        return j.dump(indent) + "\n";
    }

    /// Writes dump() to `path` atomically; io_error naming the file on failure.
    void write(const std::filesystem::path& path) const {
        const std::string text = dump();
        write_file_atomically(path, [&](atomic_file_writer& out) { out.write(text.data(), text.size()); });
    }

    /// Parses one flat JSON object of numbers (or null, read as NaN); `name` stands for the file
    /// in messages. io_error for anything else: invalid JSON, not an object, a value that is not
    /// a number, an empty name.
    static metrics parse(std::string_view text, const std::string& name) {
        nlohmann::ordered_json j;
        try {
            j = nlohmann::ordered_json::parse(text.begin(), text.end());
        } catch (const nlohmann::json::exception& e) {
            throw io_error(detail::concat(name, ": not valid JSON: ", e.what()));
        }
        LATENT_CHECK(j.is_object(), io_error, name, ": expected one JSON object of named numbers");
        metrics m;
        for (const auto& [key, value] : j.items()) {
            LATENT_CHECK(value.is_number() || value.is_null(), io_error, name, ": metric '", key, "' is ",
                         value.type_name(), ", not a number");
            LATENT_CHECK(!key.empty(), io_error, name, ": a metric has an empty name");
            m.values_.emplace_back(key, value.is_null() ? std::numeric_limits<double>::quiet_NaN()
                                                        : value.template get<double>());
        }
        return m;
    }

private:
    const double* find(std::string_view name) const {
        for (const auto& [n, v] : values_)
            if (n == name) return &v;
        return nullptr;
    }

    std::vector<std::pair<std::string, double>> values_;
};

/// Writes `m` as `metrics.json`-style JSON to `path`, atomically.
inline void write_metrics_json(const std::filesystem::path& path, const metrics& m) { m.write(path); }

/// Reads a file written by write_metrics_json (see metrics::parse); io_error naming the file.
inline metrics read_metrics_json(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    LATENT_CHECK(in.good(), io_error, path.string(), ": cannot open: ", detail::errno_text(errno));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LATENT_CHECK(!in.bad(), io_error, path.string(), ": read error");
    return metrics::parse(text, path.string());
}

}  // namespace latent
