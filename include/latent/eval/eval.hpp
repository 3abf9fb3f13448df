// latent/eval/eval.hpp: every evaluation metric (the papers' measurements, MODELS.md "Metrics").
#pragma once

#include "latent/eval/dci.hpp"                // DCI disentanglement and completeness (lasso importances)
#include "latent/eval/disentanglement.hpp"    // MIG against known factors
#include "latent/eval/factorvae_score.hpp"    // the FactorVAE score (majority vote)
#include "latent/eval/host_data.hpp"          // the host copies every metric takes
#include "latent/eval/identity_transfer.hpp"  // seed 000 Method 2
#include "latent/eval/knn_kl.hpp"             // kNN KL estimate (Wang, Kulkarni & Verdú 2009)
#include "latent/eval/pca.hpp"                // principal directions of a point set
#include "latent/eval/probes.hpp"             // label prediction from a representation
#include "latent/eval/switch_accuracy.hpp"    // seed 000 Method 1 and its judge
#include "latent/eval/triplet_accuracy.hpp"   // per-query triplet accuracy in own and other masked subspaces
