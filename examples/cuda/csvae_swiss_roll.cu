// csvae_swiss_roll compiled by nvcc: the same program, with `--device cuda` training on the GPU
// through latent::device (CUDA kernels, cuBLAS). Built by the cuda preset as csvae_swiss_roll_cuda.
#include "../csvae_swiss_roll.cpp"
