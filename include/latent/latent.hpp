// latent/latent.hpp: the umbrella header. Includes the whole library; no other header includes it.
#pragma once

#include "latent/engine.hpp"

#if defined(__CUDACC__) || defined(THRUST_DEVICE_SYSTEM)
#include "latent/backend/device.hpp"  // the device backend needs Thrust: nvcc, or g++ with a Thrust device system
#endif
#include "latent/data/celeba.hpp"
#include "latent/data/dataset.hpp"
#include "latent/data/image_folder.hpp"
#include "latent/data/loader.hpp"
#include "latent/data/samplers.hpp"
#include "latent/data/shapes.hpp"
#include "latent/data/swiss_roll.hpp"
#include "latent/dist/dist.hpp"
#include "latent/eval/eval.hpp"
#include "latent/io/csv.hpp"
#include "latent/io/json.hpp"
#include "latent/io/plot.hpp"
#include "latent/io/png.hpp"
#include "latent/models/codes.hpp"
#include "latent/models/cond_vae.hpp"
#include "latent/models/csvae.hpp"
#include "latent/models/manipulate.hpp"
#include "latent/models/model.hpp"
#include "latent/models/networks.hpp"
#include "latent/models/swap.hpp"
#include "latent/models/tcvae.hpp"
#include "latent/models/vae.hpp"
#include "latent/objectives/adversaries.hpp"
#include "latent/objectives/gan.hpp"
#include "latent/objectives/term.hpp"
#include "latent/space/block.hpp"
#include "latent/space/likelihoods.hpp"
#include "latent/space/partition.hpp"
#include "latent/space/posteriors.hpp"
#include "latent/space/priors.hpp"
#include "latent/train/trainer.hpp"
