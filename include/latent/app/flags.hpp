// latent/app/flags.hpp: command-line flags of the example programs.
//
// A small parser: each flag is bound to a variable that holds its default, and
// parse() overwrites what the command line gives. `--name value` and
// `--name=value` both work; a flag given twice keeps the last value. Everything
// wrong is a config_error naming the flag: an unknown flag (the message lists
// the known ones), a missing value, a value that is not of the flag's type or
// outside its range. `--help` prints usage() and ends the program with status 0
// through run_main (app/main.hpp).
//
// The flags every example shares are common_flags, registered by add_common.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "latent/app/main.hpp"
#include "latent/core/error.hpp"

namespace latent {

/// The flags every example understands, with the defaults an example may change before parsing.
///   --data DIR     where the data set lives (empty: the example's default, e.g. Debian's Fashion-MNIST)
///   --out DIR      where pictures, tables, metrics and checkpoints go
///   --epochs N     passes over the training set (>= 0)
///   --batch N      examples per step (>= 1)
///   --lr X         learning rate (> 0)
///   --seed N       seed of every random choice
///   --device D     cpu or cuda (default: cuda when compiled by nvcc, else cpu)
///   --quick        a short run (small subset, few epochs): a smoke test
///   --resume       continue from the checkpoint in --out, if there is one
struct common_flags {
    std::filesystem::path data;
    std::filesystem::path out = "out";
    int epochs = 10;
    std::int64_t batch = 64;
    double lr = 1e-3;
    std::uint64_t seed = 1;
    // Where a program compiled by nvcc runs by default: on the GPU.
#if defined(__CUDACC__)
    std::string device = "cuda";
#else
    std::string device = "cpu";
#endif
    bool quick = false;
    bool resume = false;
};

/// A parser of `--flag value` arguments, each flag bound to a variable.
class flag_parser {
public:
    explicit flag_parser(std::string program, std::string summary = "")
        : program_(std::move(program)), summary_(std::move(summary)) {}

    /// An integer flag; values below `min` are refused.
    flag_parser& option(std::string name, int& target, std::string help, int min = std::numeric_limits<int>::min()) {
        return add_integer(std::move(name), target, std::move(help), min);
    }
    flag_parser& option(std::string name, std::int64_t& target, std::string help,
                        std::int64_t min = std::numeric_limits<std::int64_t>::min()) {
        return add_integer(std::move(name), target, std::move(help), min);
    }
    flag_parser& option(std::string name, std::uint64_t& target, std::string help) {
        return add_integer(std::move(name), target, std::move(help), std::uint64_t{0});
    }
    /// A real flag: finite; above `greater_than` when that is given (e.g. 0 for a learning rate).
    flag_parser& option(std::string name, double& target, std::string help,
                        double greater_than = -std::numeric_limits<double>::infinity()) {
        const std::string flag = name;
        return add(std::move(name), "X", std::move(help), true, [flag, &target, greater_than](std::string_view v) {
            double x = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            LATENT_CHECK(ec == std::errc{} && end == v.data() + v.size() && std::isfinite(x), config_error, flag,
                         ": '", v, "' is not a finite number");
            LATENT_CHECK(x > greater_than, config_error, flag, ": must be greater than ", greater_than, ", not ", v);
            target = x;
        });
    }
    flag_parser& option(std::string name, std::string& target, std::string help) {
        return add(std::move(name), "TEXT", std::move(help), true, [&target](std::string_view v) { target = v; });
    }
    flag_parser& option(std::string name, std::filesystem::path& target, std::string help) {
        const std::string flag = name;
        return add(std::move(name), "DIR", std::move(help), true, [flag, &target](std::string_view v) {
            LATENT_CHECK(!v.empty(), config_error, flag, ": needs a non-empty path");
            target = std::filesystem::path(std::string(v));
        });
    }
    /// A flag with one of a few values.
    flag_parser& choice(std::string name, std::string& target, std::vector<std::string> choices, std::string help) {
        const std::string flag = name;
        std::string metavar;
        for (const auto& c : choices) metavar += (metavar.empty() ? "" : "|") + c;
        return add(std::move(name), metavar, std::move(help), true, [flag, &target, choices, metavar](std::string_view v) {
            for (const auto& c : choices)
                if (v == c) {
                    target = c;
                    return;
                }
            throw config_error(detail::concat(flag, ": '", v, "' is not one of ", metavar));
        });
    }
    /// A switch: present means true. It takes no value.
    flag_parser& flag(std::string name, bool& target, std::string help) {
        return add(std::move(name), "", std::move(help), false, [&target](std::string_view) { target = true; });
    }

    /// Registers the common flags of the examples (see common_flags), bound to `f`.
    flag_parser& add_common(common_flags& f) {
        option("--data", f.data, "where the data set lives");
        option("--out", f.out, "where results go (created if missing)");
        option("--epochs", f.epochs, "passes over the training set", 0);
        option("--batch", f.batch, "examples per step", 1);
        option("--lr", f.lr, "learning rate", 0.0);
        option("--seed", f.seed, "seed of every random choice");
        choice("--device", f.device, {"cpu", "cuda"}, "where tensors live");
        flag("--quick", f.quick, "a short smoke-test run");
        flag("--resume", f.resume, "continue from the checkpoint in --out");
        return *this;
    }

    /// Reads argv[1..argc) into the bound variables. --help (or -h) prints usage() to stdout
    /// and throws exit_request{0}. Throws config_error naming the flag at fault otherwise.
    void parse(int argc, const char* const* argv) const {
        for (int i = 1; i < argc; ++i) {
            const std::string_view arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                std::fputs(usage().c_str(), stdout);
                std::fflush(stdout);
                throw exit_request{0};
            }
            LATENT_CHECK(arg.size() > 2 && arg.substr(0, 2) == "--", config_error, program_, ": unexpected argument '",
                         arg, "' (flags start with --; see --help)");
            const std::size_t eq = arg.find('=');
            const std::string_view name = arg.substr(0, eq);
            const entry* e = find(name);
            LATENT_CHECK(e != nullptr, config_error, program_, ": unknown flag '", name, "'; known flags: ", known());
            if (!e->takes_value) {
                LATENT_CHECK(eq == std::string_view::npos, config_error, name, ": takes no value");
                e->set("");
                continue;
            }
            std::string_view value;
            if (eq != std::string_view::npos) {
                value = arg.substr(eq + 1);
            } else {
                LATENT_CHECK(i + 1 < argc && std::string_view(argv[i + 1]).substr(0, 2) != "--", config_error, name,
                             ": needs a value (", e->metavar, ")");
                value = argv[++i];
            }
            e->set(value);
        }
    }
    void parse(int argc, char** argv) const { parse(argc, const_cast<const char* const*>(argv)); }

    /// The usage text: program, summary, one line per flag.
    std::string usage() const {
        std::string out = "usage: " + program_ + " [flags]\n";
        if (!summary_.empty()) out += summary_ + "\n";
        out += "flags:\n";
        for (const auto& e : entries_) {
            std::string left = "  " + e.name + (e.metavar.empty() ? "" : " " + e.metavar);
            if (left.size() < 26) left.resize(26, ' ');
            out += left + " " + e.help + "\n";
        }
        out += "  --help                   print this and exit\n";
        return out;
    }

private:
    struct entry {
        std::string name, metavar, help;
        bool takes_value;
        std::function<void(std::string_view)> set;
    };

    flag_parser& add(std::string name, std::string metavar, std::string help, bool takes_value,
                     std::function<void(std::string_view)> set) {
        LATENT_CHECK(name.size() > 2 && name.substr(0, 2) == "--" && name.find('=') == std::string::npos,
                     config_error, program_, ": '", name, "' is not a flag name (--name)");
        LATENT_CHECK(find(name) == nullptr, config_error, program_, ": flag '", name, "' registered twice");
        entries_.push_back({std::move(name), std::move(metavar), std::move(help), takes_value, std::move(set)});
        return *this;
    }

    template <class Int>
    flag_parser& add_integer(std::string name, Int& target, std::string help, Int min) {
        const std::string flag = name;
        return add(std::move(name), "N", std::move(help), true, [flag, &target, min](std::string_view v) {
            Int x = 0;
            const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
            LATENT_CHECK(ec != std::errc::result_out_of_range, config_error, flag, ": ", v, " is out of range");
            LATENT_CHECK(ec == std::errc{} && end == v.data() + v.size(), config_error, flag, ": '", v,
                         "' is not a whole number");
            LATENT_CHECK(x >= min, config_error, flag, ": must be at least ", min, ", not ", v);
            target = x;
        });
    }

    const entry* find(std::string_view name) const {
        for (const auto& e : entries_)
            if (e.name == name) return &e;
        return nullptr;
    }

    std::string known() const {
        std::string out;
        for (const auto& e : entries_) out += (out.empty() ? "" : ", ") + e.name;
        return out + (out.empty() ? "" : ", ") + "--help";
    }

    std::string program_, summary_;
    std::vector<entry> entries_;
};

/// Parses the common flags of an example (and nothing else) into a copy of `defaults`.
inline common_flags parse_common_flags(int argc, const char* const* argv, const std::string& program,
                                       common_flags defaults = {}) {
    flag_parser p(program);
    p.add_common(defaults);
    p.parse(argc, argv);
    return defaults;
}

}  // namespace latent
