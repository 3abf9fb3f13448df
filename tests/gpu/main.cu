// The doctest main of the gpu suite (the device tests compiled by nvcc). Without
// a usable GPU it prints why and exits with 77, which ctest reports as skipped,
// never as passed. Listing the test cases (ctest's discovery) needs no GPU.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
    bool listing = false;
    for (int i = 1; i < argc; ++i)
        if (std::strstr(argv[i], "list-test-cases")) listing = true;
    if (!listing) {
        int count = 0;
        const cudaError_t status = cudaGetDeviceCount(&count);
        if (status != cudaSuccess || count == 0) {
            std::printf("skipped: no usable GPU (%s)\n",
                        status != cudaSuccess ? cudaGetErrorString(status) : "no device");
            return 77;
        }
    }
    doctest::Context context(argc, argv);
    return context.run();
}
