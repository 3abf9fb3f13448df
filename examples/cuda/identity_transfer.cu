// identity_transfer compiled by nvcc: the same program, with `--device cuda` training on the GPU
// through latent::device (CUDA kernels, cuBLAS). Built by the cuda preset as identity_transfer_cuda.
#include "../identity_transfer.cpp"
