// latent/app/main.hpp: the `main` of an example program, which never aborts on bad input.
//
// "app" holds what a program built on latent needs around the library proper:
// this wrapper and the flag parser (app/flags.hpp). The library throws; a program
// must turn that into a message and an exit status, never into std::terminate's
// abort and a core dump. Every example's main is
//
//   int main(int argc, char** argv) {
//       return latent::run_main(argc, argv, [](int argc, char** argv) { ...; return 0; });
//   }
#pragma once

#include <cstdio>
#include <exception>
#include <string>
#include <type_traits>
#include <utility>

#include "latent/core/error.hpp"

namespace latent {

/// Thrown to end a program successfully after it printed what was asked (e.g. --help).
/// Not a latent::error: run_main returns 0 for it.
struct exit_request {
    int status = 0;
};

/// Runs `body(argc, argv)` and returns its status (0 when it returns void).
/// ensures: a latent::error, a std::exception or any other exception escaping `body` is
///          reported on stderr as "<program>: error: <message>" and gives status 1; an
///          exit_request gives its status. Nothing escapes, so the program never aborts.
template <class Body>
int run_main(int argc, char** argv, Body&& body) noexcept {
    const char* program = "latent";
    if (argc > 0 && argv && argv[0] && argv[0][0]) {
        program = argv[0];
        for (const char* p = argv[0]; *p; ++p)
            if (*p == '/' && p[1]) program = p + 1;  // the file name, without allocating
    }
    try {
        if constexpr (std::is_void_v<std::invoke_result_t<Body, int, char**>>) {
            std::forward<Body>(body)(argc, argv);
            return 0;
        } else {
            return static_cast<int>(std::forward<Body>(body)(argc, argv));
        }
    } catch (const exit_request& e) {
        return e.status;
    } catch (const error& e) {
        std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    } catch (...) {
        std::fprintf(stderr, "%s: error: an unknown exception\n", program);
    }
    std::fflush(stderr);
    return 1;
}

}  // namespace latent
