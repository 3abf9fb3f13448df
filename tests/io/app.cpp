#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <latent/app/flags.hpp>
#include <latent/app/main.hpp>
#include <stdexcept>
#include <string>
#include <vector>

using namespace latent;

namespace {

/// What `f` prints on file descriptor `fd` (2 = stderr, 1 = stdout), captured through a temporary file.
template <class F>
std::string output_of(int fd, F&& f) {
    const auto path = std::filesystem::temp_directory_path() / ("latent_test_app_" + std::to_string(::getpid()));
    std::fflush(stdout);
    std::fflush(stderr);
    const int saved = ::dup(fd);
    std::FILE* tmp = std::fopen(path.c_str(), "w");
    REQUIRE(tmp != nullptr);
    ::dup2(::fileno(tmp), fd);
    f();
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(saved, fd);
    ::close(saved);
    std::fclose(tmp);
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::filesystem::remove(path);
    return text;
}
template <class F>
std::string stderr_of(F&& f) {
    return output_of(2, std::forward<F>(f));
}

template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const config_error& e) {
        return e.what();
    }
    return "(no config_error)";
}

/// argv for a parser test: the program name, then `args`.
struct args_t {
    std::vector<std::string> store;
    std::vector<const char*> ptrs;
    explicit args_t(std::vector<std::string> args) : store(std::move(args)) {
        store.insert(store.begin(), "/path/to/prog");
        for (const auto& s : store) ptrs.push_back(s.c_str());
    }
    int argc() const { return static_cast<int>(ptrs.size()); }
    const char* const* argv() const { return ptrs.data(); }
};

common_flags parse(std::vector<std::string> args) {
    const args_t a(std::move(args));
    return parse_common_flags(a.argc(), a.argv(), "prog");
}

}  // namespace

TEST_CASE("app: run_main returns the body's status, or 1 with the message on stderr") {
    char name[] = "/usr/bin/example";
    char* argv[] = {name, nullptr};
    CHECK(run_main(1, argv, [](int, char**) { return 7; }) == 7);
    CHECK(run_main(1, argv, [](int, char**) {}) == 0);
    int status = -1;
    const std::string err = stderr_of([&] {
        status = run_main(1, argv, [](int, char**) -> int { throw io_error("data/x.idx: bad magic"); });
    });
    CHECK(status == 1);
    CHECK(err == "example: error: data/x.idx: bad magic\n");
    CHECK(stderr_of([&] {
              status = run_main(1, argv, [](int, char**) -> int { throw std::runtime_error("plain"); });
          }) == "example: error: plain\n");
    CHECK(status == 1);
    CHECK(stderr_of([&] { status = run_main(1, argv, [](int, char**) -> int { throw 42; }); }) ==
          "example: error: an unknown exception\n");
    CHECK(status == 1);
    CHECK(run_main(1, argv, [](int, char**) -> int { throw exit_request{0}; }) == 0);
}

TEST_CASE("app: the common flags are parsed in both spellings, later ones winning") {
    const common_flags f = parse({"--data", "/d", "--out=/o", "--epochs", "3", "--batch=32", "--lr", "2.5e-4", "--seed",
                                  "18446744073709551615", "--device", "cuda", "--quick", "--resume", "--epochs", "4"});
    CHECK(f.data == "/d");
    CHECK(f.out == "/o");
    CHECK(f.epochs == 4);
    CHECK(f.batch == 32);
    CHECK(f.lr == 2.5e-4);
    CHECK(f.seed == 18446744073709551615ull);
    CHECK(f.device == "cuda");
    CHECK(f.quick);
    CHECK(f.resume);
    const common_flags d = parse({});
    CHECK(d.epochs == 10);
    CHECK(d.device == "cpu");
    CHECK(!d.quick);
}

TEST_CASE("app: bad flags and values are config_errors naming the flag") {
    CHECK(message_of([] { parse({"--epoch", "3"}); }).find("unknown flag '--epoch'; known flags: --data, --out") !=
          std::string::npos);
    CHECK(message_of([] { parse({"--epochs", "three"}); }) == "--epochs: 'three' is not a whole number");
    CHECK(message_of([] { parse({"--epochs", "3.5"}); }) == "--epochs: '3.5' is not a whole number");
    CHECK(message_of([] { parse({"--epochs", "-1"}); }) == "--epochs: must be at least 0, not -1");
    CHECK(message_of([] { parse({"--epochs", "99999999999"}); }) == "--epochs: 99999999999 is out of range");
    CHECK(message_of([] { parse({"--batch", "0"}); }) == "--batch: must be at least 1, not 0");
    CHECK(message_of([] { parse({"--lr", "0"}); }) == "--lr: must be greater than 0, not 0");
    CHECK(message_of([] { parse({"--lr", "nan"}); }) == "--lr: 'nan' is not a finite number");
    CHECK(message_of([] { parse({"--lr", "1e-3x"}); }) == "--lr: '1e-3x' is not a finite number");
    CHECK(message_of([] { parse({"--seed", "-1"}); }) == "--seed: '-1' is not a whole number");
    CHECK(message_of([] { parse({"--device", "gpu"}); }) == "--device: 'gpu' is not one of cpu|cuda");
    CHECK(message_of([] { parse({"--batch"}); }) == "--batch: needs a value (N)");
    CHECK(message_of([] { parse({"--out", "--quick"}); }) == "--out: needs a value (DIR)");
    CHECK(message_of([] { parse({"--out="}); }) == "--out: needs a non-empty path");
    CHECK(message_of([] { parse({"--quick=yes"}); }) == "--quick: takes no value");
    CHECK(message_of([] { parse({"data"}); }).find("unexpected argument 'data'") != std::string::npos);
}

TEST_CASE("app: an example adds its own flags beside the common ones, and --help ends with status 0") {
    common_flags f;
    int latent_dim = 2;
    double beta = 1;
    std::string model = "vae";
    flag_parser p("csvae", "trains a CSVAE on the swiss roll");
    p.add_common(f).option("--latent", latent_dim, "size of z", 1).option("--beta", beta, "KL weight", 0.0);
    p.choice("--model", model, {"vae", "csvae"}, "which model");
    const args_t a({"--latent", "4", "--beta=0.25", "--model", "csvae", "--quick"});
    p.parse(a.argc(), a.argv());
    CHECK(latent_dim == 4);
    CHECK(beta == 0.25);
    CHECK(model == "csvae");
    CHECK(f.quick);
    const std::string usage = p.usage();
    for (const char* flag : {"--data DIR", "--out DIR", "--epochs N", "--batch N", "--lr X", "--seed N",
                             "--device cpu|cuda", "--quick", "--resume", "--latent N", "--model vae|csvae", "--help"})
        CHECK(usage.find(flag) != std::string::npos);
    CHECK(usage.find("trains a CSVAE") != std::string::npos);
    CHECK_THROWS_AS(p.option("--beta", beta, "again"), config_error);
    CHECK_THROWS_AS(p.option("beta", beta, "no dashes"), config_error);

    char name[] = "csvae";
    char help[] = "--help";
    char* argv[] = {name, help, nullptr};
    int status = -1;
    const std::string printed = output_of(1, [&] {
        status = run_main(2, argv, [&](int argc, char** argv) {
            p.parse(argc, argv);
            return 5;
        });
    });
    CHECK(status == 0);
    CHECK(printed == usage);
}
