// swap_shapes compiled by nvcc: the same program, with `--device cuda` training the swap model (and,
// for swap_fashion, its ablation) and encoding on the GPU through latent::device; the probes
// stay on the CPU. Built by the cuda preset as swap_shapes_cuda.
#include "../swap_shapes.cpp"
