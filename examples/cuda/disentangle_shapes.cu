// disentangle_shapes compiled by nvcc: the same program, training VAE, β-VAE, β-TCVAE and the
// triplet VAE and encoding on the GPU through latent::device; the metrics run on the CPU. Built
// by the cuda preset as disentangle_shapes_cuda.
#include "../disentangle_shapes.cpp"
