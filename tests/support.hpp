// tests/support.hpp: scaffolding shared by the test files (not part of the library).
//
// A scratch directory per test, whole-file reads, and the checks the gradient and
// reference-value tests repeat. Test files say `using namespace test_support;`.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include <latent/testing/gradcheck.hpp>

namespace test_support {

/// The scalar types of the double-precision gradient tests.
using V = latent::var<double>;
using Vs = std::vector<V>;
using Td = latent::tensor<double>;

/// A fresh, empty directory under the system's temporary directory, named
/// latent_test_<tag>_<pid>_<n> (n counts the scratches of this process, so two
/// never share a directory); removed with everything in it on destruction, even
/// where a test took away its write permission.
struct scratch {
    std::filesystem::path dir;

    explicit scratch(const std::string& tag) {
        static int counter = 0;
        dir = std::filesystem::temp_directory_path() /
              ("latent_test_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    ~scratch() {
        std::error_code ec;
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(dir, ec);
    }

    std::filesystem::path operator/(const std::string& name) const { return dir / name; }

    /// The names in the directory, so that a test can see that no temporary was left.
    std::set<std::string> listing() const {
        std::set<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename().string());
        return out;
    }
};

/// The whole of a file as text; the test stops if it cannot be opened.
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in.good());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The whole of a file as bytes; the test stops if it cannot be opened.
inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    REQUIRE(in.good());
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// A gradcheck that must pass; its report is shown when it does not.
inline void check_ok(const latent::testing::gradcheck_result& r) {
    INFO(r.report);
    CHECK(r.ok);
}

/// Element by element, to relative tolerance eps (doctest::Approx's epsilon): far below
/// float's by default, but above double rounding.
inline void check_close(const std::vector<double>& got, const std::vector<double>& want, double eps = 1e-12) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element ", i);
        CHECK(got[i] == doctest::Approx(want[i]).epsilon(eps));
    }
}

}  // namespace test_support
