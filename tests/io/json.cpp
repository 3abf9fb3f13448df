#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latent/io/json.hpp>
#include <limits>
#include <string>

#include "../support.hpp"

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

namespace {
template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("json: metrics are one flat object in the order first set") {
    metrics m;
    m.set("test_accuracy", 0.875).set("epochs", 5).set("elbo", -93.25).set("epochs", 6);
    CHECK(m.dump() == "{\n  \"test_accuracy\": 0.875,\n  \"epochs\": 6,\n  \"elbo\": -93.25\n}\n");
    CHECK(m.get("epochs") == 6);
    CHECK(m.size() == 3);
    CHECK_THROWS_AS(m.get("missing"), config_error);
    CHECK_THROWS_AS(m.set("", 1), config_error);
}

TEST_CASE("json: NaN and infinities are written as null and read back as NaN") {
    metrics m;
    m.set("loss", std::numeric_limits<double>::quiet_NaN()).set("kl", std::numeric_limits<double>::infinity());
    CHECK(m.dump(-1) == "{\"loss\":null,\"kl\":null}\n");
    const metrics back = metrics::parse(m.dump(), "m.json");
    CHECK(std::isnan(back.get("loss")));
    CHECK(std::isnan(back.get("kl")));
}

TEST_CASE("json: a metrics file round-trips every double exactly") {
    scratch s("json");
    metrics m;
    m.set("a", 0.1).set("b", 1.0 / 3.0).set("c", -2.5e-300).set("d", 123456789.0);
    write_metrics_json(s.dir / "metrics.json", m);
    const metrics back = read_metrics_json(s.dir / "metrics.json");
    REQUIRE(back.size() == 4);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(back.entries()[i].first == m.entries()[i].first);
        CHECK(back.entries()[i].second == m.entries()[i].second);
    }
    CHECK(slurp(s.dir / "metrics.json").find("\"d\": 123456789") != std::string::npos);
}

TEST_CASE("json: the reader refuses what is not a flat object of numbers, naming the file") {
    CHECK(message_of([] { metrics::parse("{\"a\": [1]}", "x.json"); }).find("x.json: metric 'a' is array") !=
          std::string::npos);
    CHECK_THROWS_AS(metrics::parse("[1, 2]", "x.json"), io_error);
    CHECK_THROWS_AS(metrics::parse("{\"a\": \"1\"}", "x.json"), io_error);
    CHECK_THROWS_AS(metrics::parse("{\"a\": 1", "x.json"), io_error);
    CHECK(message_of([] { metrics::parse("nope", "y.json"); }).find("y.json") != std::string::npos);
    scratch s("json");
    CHECK(message_of([&] { read_metrics_json(s.dir / "none.json"); }).find("none.json") != std::string::npos);
}
