// latent/dist/dist.hpp: every distribution, the KL divergences and the concepts.
#pragma once

#include "latent/dist/bernoulli.hpp"
#include "latent/dist/categorical.hpp"
#include "latent/dist/concepts.hpp"
#include "latent/dist/delta.hpp"
#include "latent/dist/kl.hpp"
#include "latent/dist/laplace.hpp"
#include "latent/dist/normal.hpp"
