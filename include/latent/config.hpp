// latent/config.hpp: compiler switches shared by every header.
//
// LATENT_HD marks a function that runs both on the host and, under nvcc, on
// the device. Kernels are written once as LATENT_HD functors over an index and
// launched by whichever backend owns the memory (see backend/).
#pragma once

#if defined(__CUDACC__)
#define LATENT_HD __host__ __device__
#define LATENT_CUDA_COMPILER 1
#else
#define LATENT_HD
#define LATENT_CUDA_COMPILER 0
#endif

#if defined(_OPENMP)
#define LATENT_HAS_OPENMP 1
#else
#define LATENT_HAS_OPENMP 0
#endif

#define LATENT_VERSION_MAJOR 0
#define LATENT_VERSION_MINOR 1
#define LATENT_VERSION_PATCH 0
