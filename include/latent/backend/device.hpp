// latent/backend/device.hpp: the device backend (Thrust's device system: CUDA
// under nvcc, OMP or CPP under a host compiler; see device/system.hpp).
//
// Include it, then write tensor<float, device>, var<float, device>, layers
// <float, device>: every op, layer and optimizer runs on it unchanged, their
// kernels launched through device/launch.hpp.
#pragma once

#include "latent/backend/device/system.hpp"  // first: see there

#include "latent/backend/cpu.hpp"
#include "latent/backend/device/blas.hpp"
#include "latent/backend/device/counters.hpp"
#include "latent/backend/device/graph.hpp"
#include "latent/backend/device/launch.hpp"
#include "latent/backend/device/memory.hpp"
#include "latent/core/concepts.hpp"

static_assert(latent::backend<latent::device>, "the device backend must satisfy latent::backend");
