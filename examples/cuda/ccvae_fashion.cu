// ccvae_fashion compiled by nvcc: the same program, with `--device cuda` training, classifying and
// judging on the GPU through latent::device (CUDA kernels, cuBLAS). Built by the cuda preset as
// ccvae_fashion_cuda.
#include "../ccvae_fashion.cpp"
