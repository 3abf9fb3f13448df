// latent/latent.hpp: the umbrella header. Includes the whole library; no other header includes it.
#pragma once

#include "latent/autograd/ops/elementwise.hpp"
#include "latent/autograd/ops/matmul.hpp"
#include "latent/autograd/ops/reduce.hpp"
#include "latent/autograd/tape.hpp"
#include "latent/backend/cpu.hpp"
#include "latent/core/error.hpp"
#include "latent/core/shape.hpp"
#include "latent/tensor/tensor.hpp"
