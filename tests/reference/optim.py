#!/usr/bin/python3
"""Reference values for tests/optim/*.cpp, printed by PyTorch (run with Debian's torch 1.13).

    /usr/bin/python3 tests/reference/optim.py

Two parameters, p0 of shape [2, 3] and p1 of shape [4], start from fixed values
and take three steps with the fixed gradients below (the gradient of step t is
set by hand, not computed from a loss), under torch.optim.SGD, Adam and AdamW
with the single-tensor (foreach=False) code path. Printed after each step:
the 10 values of p0 then p1 (the C++ tests flatten them the same way); after
the last step also the optimizer state of each parameter. Then the learning
rates of MultiStepLR and ExponentialLR per epoch, and clip_grad_norm_'s total
norm and clipped gradients. Double precision throughout, except the one
float32 Adam run.
"""
import math

import torch

P0 = [[0.5, -1.0, 1.5], [2.0, -0.25, 0.0]]
P1 = [1.0, -2.0, 3.0, 0.1]
GRADS = [  # (gradient of p0, gradient of p1) for steps 1, 2, 3
    ([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]], [1.0, 0.0, -1.0, 0.25]),
    ([[-0.3, 0.1, 0.2], [0.0, -0.5, 0.7]], [0.5, -0.5, 2.0, -0.125]),
    ([[0.2, 0.2, -0.1], [0.3, 0.0, -0.2]], [-1.0, 0.75, 0.5, 0.5]),
]


def values(ts):
    return ", ".join(repr(float(v)) for t in ts for v in t.detach().reshape(-1))


def run(name, make, state_keys, dtype=torch.float64):
    p0 = torch.tensor(P0, dtype=dtype, requires_grad=True)
    p1 = torch.tensor(P1, dtype=dtype, requires_grad=True)
    opt = make([p0, p1])
    print(f"// {name}: values after each step")
    print(f"const double {name}_steps[3][10] = {{")
    for g0, g1 in GRADS:
        p0.grad = torch.tensor(g0, dtype=dtype)
        p1.grad = torch.tensor(g1, dtype=dtype)
        opt.step()
        print(f"    {{{values([p0, p1])}}},")
    print("};")
    for key in state_keys:
        state = [opt.state[p][key] for p in (p0, p1)]
        print(f"const double {name}_{key}[10] = {{{values(state)}}};")
    print()


SGD = torch.optim.SGD
run("sgd_plain", lambda ps: SGD(ps, lr=0.1, foreach=False), [])
run("sgd_momentum", lambda ps: SGD(ps, lr=0.1, momentum=0.9, foreach=False), ["momentum_buffer"])
run("sgd_dampening", lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.25, foreach=False), ["momentum_buffer"])
run("sgd_nesterov", lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, foreach=False), ["momentum_buffer"])
run("sgd_decay", lambda ps: SGD(ps, lr=0.1, momentum=0.5, weight_decay=0.2, foreach=False), ["momentum_buffer"])

Adam, AdamW = torch.optim.Adam, torch.optim.AdamW
run("adam", lambda ps: Adam(ps, lr=0.1, foreach=False), ["exp_avg", "exp_avg_sq"])
run("adam_decay", lambda ps: Adam(ps, lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.3, foreach=False),
    ["exp_avg", "exp_avg_sq"])
run("adam_amsgrad", lambda ps: Adam(ps, lr=0.1, amsgrad=True, foreach=False), ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
run("adamw", lambda ps: AdamW(ps, lr=0.1, foreach=False), ["exp_avg", "exp_avg_sq"])
run("adamw_decay", lambda ps: AdamW(ps, lr=0.05, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.3, foreach=False),
    ["exp_avg", "exp_avg_sq"])
run("adam_float", lambda ps: Adam(ps, lr=0.1, weight_decay=0.1, foreach=False), [], dtype=torch.float32)


def lrs(name, make, epochs):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.5)
    sched = make(opt)
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])  # the lr used during this epoch
        opt.step()
        sched.step()
    print(f"// {name}: lr of epochs 0..{epochs - 1}, base lr 0.5")
    print(f"const double {name}[{epochs}] = {{{', '.join(repr(v) for v in out)}}};")


lrs("multi_step", lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5, 7], gamma=0.1), 10)
lrs("exponential", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9), 10)
print()


def clip(name, max_norm, norm_type):
    p0 = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    p1 = torch.tensor(P1, dtype=torch.float64, requires_grad=True)
    p0.grad = torch.tensor(GRADS[0][0], dtype=torch.float64)
    p1.grad = torch.tensor(GRADS[0][1], dtype=torch.float64)
    total = torch.nn.utils.clip_grad_norm_([p0, p1], max_norm, norm_type)
    print(f"// {name}: clip_grad_norm_(max_norm={max_norm}, norm_type={norm_type})")
    print(f"const double {name}_total = {float(total)!r};")
    print(f"const double {name}_grads[10] = {{{values([p0.grad, p1.grad])}}};")


clip("clip_l2", 1.0, 2.0)
clip("clip_l2_loose", 10.0, 2.0)
clip("clip_inf", 0.5, math.inf)
clip("clip_l1", 2.0, 1.0)
