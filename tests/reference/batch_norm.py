#!/usr/bin/python3
"""Reference numbers for tests/autograd/norm.cpp, computed by PyTorch (1.13) in double precision.

Inputs follow closed formulas that the C++ test reproduces:
  x[i] = sin(0.37·i + 0.1)·(1 + 0.5·(i mod 4))   (flat row-major index i)
  r[i] = cos(0.23·i)                             (weights of the loss L = Σ r·y)
Run: /usr/bin/python3 tests/reference/batch_norm.py
"""
import math

import torch

torch.set_default_dtype(torch.float64)


def formula(shape, f):
    n = math.prod(shape)
    return torch.tensor([f(i) for i in range(n)]).reshape(shape)


def x_of(shape):
    return formula(shape, lambda i: math.sin(0.37 * i + 0.1) * (1 + 0.5 * (i % 4)))


def r_of(shape):
    return formula(shape, lambda i: math.cos(0.23 * i))


def show(name, t):
    print(f"{name} = {{" + ", ".join(f"{v:.12g}" for v in t.detach().flatten().tolist()) + "};")


def case(title, shape, gamma, beta, rmean, rvar, momentum, training):
    print(f"// {title}: x {list(shape)}, momentum {momentum}, training={training}")
    x = x_of(shape).requires_grad_()
    g = torch.tensor(gamma, requires_grad=True)
    b = torch.tensor(beta, requires_grad=True)
    rm = torch.tensor(rmean)
    rv = torch.tensor(rvar)
    y = torch.nn.functional.batch_norm(x, rm, rv, g, b, training=training, momentum=momentum, eps=1e-5)
    (y * r_of(shape)).sum().backward()
    show("y", y)
    show("running_mean", rm)
    show("running_var", rv)
    show("dx", x.grad)
    show("dgamma", g.grad)
    show("dbeta", b.grad)


case("BatchNorm2d", (3, 2, 2, 3), [1.5, -0.7], [0.2, -0.3], [0.5, -1.0], [2.0, 0.5], 0.1, True)
case("BatchNorm2d", (3, 2, 2, 3), [1.5, -0.7], [0.2, -0.3], [0.5, -1.0], [2.0, 0.5], 0.1, False)
case("BatchNorm1d", (4, 3), [0.8, 1.2, -1.1], [0.0, 0.5, -0.25], [0.1, 0.2, 0.3], [1.0, 1.5, 0.75], 0.3, True)
