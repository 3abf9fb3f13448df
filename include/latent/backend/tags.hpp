// latent/backend/tags.hpp: the backends, as tag types.
//
// A backend is an empty tag; what it can do is the set of free functions
// overloaded on it (allocate_bytes, launch, gemm, ...), found by ADL. Op code is
// written once against those functions, so a tensor moves to another backend by
// changing one template argument.
#pragma once

namespace latent {

/// Host memory, Eigen for dense algebra, OpenMP for loops that pay.
struct cpu {
    static constexpr const char* name = "cpu";
};

/// Thrust's device system: CUDA under nvcc, OMP or CPP when g++ compiles the
/// same headers (which is how CI runs the device code path without a GPU).
struct device {
    static constexpr const char* name = "device";
};

}  // namespace latent
