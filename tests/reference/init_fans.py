#!/usr/bin/python3
"""Reference numbers for tests/nn/init.cpp: the fans PyTorch computes for the
weights of Linear, Conv2d and ConvTranspose2d layers, and the bounds of their
default initialisation (reset_parameters), read from torch itself.

Run with Debian's torch 1.13:  /usr/bin/python3 tests/reference/init_fans.py
Each line: layer, weight shape, fan_in, fan_out, the kaiming_uniform_(a=sqrt(5))
bound, the bias bound, the xavier_uniform_ bound, and the largest |weight| and
|bias| PyTorch's own reset_parameters() drew (must not exceed the bounds).
"""
import math

import torch
from torch import nn

torch.manual_seed(0)

layers = [
    ("linear_7_3", nn.Linear(7, 3)),
    ("linear_784_400", nn.Linear(784, 400)),
    ("conv2d_3_8_k5x3", nn.Conv2d(3, 8, (5, 3))),
    ("conv2d_1_32_k4", nn.Conv2d(1, 32, 4, stride=2, padding=1)),
    ("convT2d_3_8_k5x3", nn.ConvTranspose2d(3, 8, (5, 3))),
    ("convT2d_64_32_k4", nn.ConvTranspose2d(64, 32, 4, stride=2, padding=1)),
]

print(f"torch {torch.__version__}")
for name, layer in layers:
    w = layer.weight
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(w)
    gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    kaiming = gain * math.sqrt(3.0 / fan_in)
    bias_bound = 1.0 / math.sqrt(fan_in)
    xavier = math.sqrt(6.0 / (fan_in + fan_out))
    print(
        f"{name} shape={list(w.shape)} fan_in={fan_in} fan_out={fan_out} "
        f"kaiming_bound={kaiming:.17g} bias_bound={bias_bound:.17g} xavier_bound={xavier:.17g} "
        f"max_abs_w={w.abs().max().item():.9g} max_abs_b={layer.bias.abs().max().item():.9g} "
        f"bias_len={layer.bias.numel()}"
    )
