// latent/backend/cpu.hpp: the cpu backend (Eigen, OpenMP).
#pragma once

#include "latent/backend/cpu/blas.hpp"
#include "latent/backend/cpu/launch.hpp"
#include "latent/backend/cpu/memory.hpp"
#include "latent/core/concepts.hpp"

static_assert(latent::backend<latent::cpu>, "the cpu backend must satisfy latent::backend");
