// fuzz/replay_main.cpp: runs a fuzz harness over stored inputs, without libFuzzer.
//
//   fuzz_replay_<harness> DIR_OR_FILE...
//
// Every regular file under each argument (recursively, in sorted order; names starting
// with '.' skipped) is passed to LLVMFuzzerTestOneInput once. A missing argument is
// skipped, so an empty regression folder is no failure. Built by ordinary compilers
// (with the sanitizers when the build has them): CI replays the corpus and every
// crashing input found, so that a fixed bug stays fixed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::vector<fs::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const fs::path root = argv[i];
        if (fs::is_regular_file(root)) {
            inputs.push_back(root);
        } else if (fs::is_directory(root)) {
            for (const auto& e : fs::recursive_directory_iterator(root))
                if (e.is_regular_file() && e.path().filename().string().rfind('.', 0) != 0) inputs.push_back(e.path());
        } else {
            std::printf("skipping %s: no such file or folder\n", root.string().c_str());
        }
    }
    std::sort(inputs.begin(), inputs.end());
    for (const auto& p : inputs) {
        std::ifstream in(p, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "cannot read %s\n", p.string().c_str());
            return 1;
        }
        const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::fprintf(stderr, "%s\n", p.string().c_str());  // the last name printed is the culprit of a crash
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    }
    std::printf("replayed %zu inputs\n", inputs.size());
    return 0;
}
