// latent/backend/device/system.hpp: which machine `latent::device` runs on.
//
// The device backend is Thrust's device system: CUDA when nvcc compiles the
// headers, OMP or CPP when a host compiler does (how CI runs the device code
// path without a GPU). Everything that differs between the two, memory and
// GEMM, branches on LATENT_DEVICE_CUDA, defined here and nowhere else.
//
// requires: under a host compiler, THRUST_DEVICE_SYSTEM set to
//           THRUST_DEVICE_SYSTEM_OMP (with -fopenmp) or THRUST_DEVICE_SYSTEM_CPP,
//           and CCCL's include directory (CUDA 13: <cuda>/include/cccl) on the path.
// ensures:  LATENT_DEVICE_CUDA is 1 when device memory is CUDA memory, else 0.
#pragma once

#if !defined(__CUDACC__) && !defined(THRUST_DEVICE_SYSTEM)
#error "latent::device under a host compiler runs on Thrust's OMP or CPP system: compile with -DTHRUST_DEVICE_SYSTEM=THRUST_DEVICE_SYSTEM_OMP -fopenmp (or THRUST_DEVICE_SYSTEM_CPP) and -I<cuda>/include/cccl, or compile this translation unit with nvcc"
#define LATENT_DEVICE_CUDA 0
#else
#include <thrust/execution_policy.h>
#if THRUST_DEVICE_SYSTEM != THRUST_DEVICE_SYSTEM_CUDA
#define LATENT_DEVICE_CUDA 0
#elif defined(__CUDACC__)
#define LATENT_DEVICE_CUDA 1
#else
#error "latent::device: THRUST_DEVICE_SYSTEM is CUDA but this compiler is not nvcc; use THRUST_DEVICE_SYSTEM_OMP or _CPP on the host"
#define LATENT_DEVICE_CUDA 0
#endif
#endif
