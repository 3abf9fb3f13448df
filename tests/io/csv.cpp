#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latent/io/csv.hpp>
#include <limits>
#include <string>
#include <vector>

#include "../support.hpp"

using namespace latent;
namespace fs = std::filesystem;
using namespace test_support;

TEST_CASE("csv: fields are quoted only where RFC 4180 needs it") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("") == "");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(csv_field("cr\r") == "\"cr\r\"");
    CHECK(csv_field(" padded") == "\" padded\"");
    CHECK(csv_field("in side") == "in side");
}

TEST_CASE("csv: numbers are the shortest text that reads back exactly") {
    CHECK(csv_number(0.5f) == "0.5");
    CHECK(csv_number(0.1f) == "0.1");
    CHECK(csv_number(-3.0f) == "-3");
    CHECK(csv_number(1e-7f) == "1e-07");
    CHECK(std::stof(csv_number(0.1f)) == 0.1f);
    CHECK(csv_number(std::numeric_limits<float>::quiet_NaN()) == "nan");
    CHECK(csv_number(-std::numeric_limits<float>::infinity()) == "-inf");
    CHECK(csv_number(2.5) == "2.5");
}

TEST_CASE("csv: a table renders header and rows and refuses ragged rows") {
    csv_table t({"x", "y,z"});
    t.add_row({"1", "a\"b"});
    t.add_row({"", "2"});
    CHECK(t.str() == "x,\"y,z\"\n1,\"a\"\"b\"\n,2\n");
    CHECK(t.rows() == 2);
    CHECK_THROWS_AS(t.add_row({"1"}), config_error);
    CHECK_THROWS_AS(csv_table({}), config_error);
}

TEST_CASE("csv: latents.csv with one label has columns split, label, then each segment's coordinates") {
    const std::vector<std::string> splits = {"train", "train", "test"};
    const std::vector<std::int32_t> y = {3, 0, 9};
    const std::vector<float> z = {0.5f, -1, 0.25f, 2, 0, 1.5f};  // [3, 2]
    const std::vector<float> w = {7, 8, -9};                     // [3, 1]
    const std::vector<latent_segment_view> segments = {{"z", 2, z}, {"w", 1, w}};
    const csv_table t = latents_table(splits, {{"digit"}, y}, segments);
    CHECK(t.str() ==
          "split,label,z_0,z_1,w_0\n"
          "train,3,0.5,-1,7\n"
          "train,0,0.25,2,8\n"
          "test,9,0,1.5,-9\n");
}

TEST_CASE("csv: latents.csv with several labels has one 0/1 column per label, named label_<name>") {
    const std::vector<std::string> splits = {"valid", "test"};
    const std::vector<std::int32_t> y = {1, 0, 0, 1};  // [2, 2]: Eyeglasses, Mustache
    const std::vector<float> z = {1, 2};
    const std::vector<float> w = {0.125f, -0.5f, 3, 4};  // [2, 2]
    const std::vector<latent_segment_view> segments = {{"z", 1, z}, {"w", 2, w}};
    scratch s("csv");
    write_latents_csv(s.dir / "latents.csv", splits, {{"Eyeglasses", "Mustache"}, y}, segments);
    CHECK(slurp(s.dir / "latents.csv") ==
          "split,label_Eyeglasses,label_Mustache,z_0,w_0,w_1\n"
          "valid,1,0,1,0.125,-0.5\n"
          "test,0,1,2,3,4\n");

    const std::vector<std::int32_t> not_binary = {1, 2, 0, 1};
    CHECK_THROWS_AS(latents_table(splits, {{"a", "b"}, not_binary}, segments), config_error);
}

TEST_CASE("csv: latents.csv refuses sizes that disagree and colliding names") {
    const std::vector<std::string> splits = {"train", "train"};
    const std::vector<std::int32_t> y = {1, 2};
    const std::vector<float> z = {1, 2, 3};
    std::vector<latent_segment_view> bad = {{"z", 2, z}};
    CHECK_THROWS_AS(latents_table(splits, {{"y"}, y}, bad), shape_error);
    const std::vector<std::int32_t> short_y = {1};
    const std::vector<float> z2 = {1, 2};
    std::vector<latent_segment_view> good = {{"z", 1, z2}};
    CHECK_THROWS_AS(latents_table(splits, {{"y"}, short_y}, good), shape_error);
    std::vector<latent_segment_view> twice = {{"z", 1, z2}, {"z", 1, z2}};
    CHECK_THROWS_AS(latents_table(splits, {{"y"}, y}, twice), config_error);
    std::vector<latent_segment_view> unnamed = {{"", 1, z2}};
    CHECK_THROWS_AS(latents_table(splits, {{"y"}, y}, unnamed), config_error);
    // No labels at all: no label column.
    CHECK(latents_table(splits, {}, good).str() == "split,z_0\ntrain,1\ntrain,2\n");
}
