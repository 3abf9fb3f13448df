// ccvae_shapes compiled by nvcc: the same program, with `--device cuda` training the four models,
// the judge and every measure on the GPU through latent::device. Built by the cuda preset as
// ccvae_shapes_cuda.
#include "../ccvae_shapes.cpp"
