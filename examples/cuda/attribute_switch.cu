// attribute_switch compiled by nvcc: the same program, with `--device cuda` training on the GPU
// through latent::device (CUDA kernels, cuBLAS). Built by the cuda preset as attribute_switch_cuda.
#include "../attribute_switch.cpp"
