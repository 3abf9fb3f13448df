#!/usr/bin/python3
"""The two training steps of bench/steps.cpp, written in PyTorch, timed the same way.

Prints one JSON object: {"mlp_step": samples/s, "conv_vae_step": samples/s, "threads": n}.
Run through compare.py, which fixes the thread count for both sides.

  steps.py [seconds] [--device cuda]

With --device cuda the models and data live on the GPU (PyTorch's defaults:
cuDNN, its TF32 settings, eager mode), every step ends with
torch.cuda.synchronize() as bench/gpu_steps.cu's end with synchronize(device),
and the conv VAE step is also timed at batch 1024 ("conv_vae_step_1024").
"""
import json
import os
import sys
import time

import torch
from torch import nn


def threads():
    return int(os.environ.get("OMP_NUM_THREADS", "1"))


DEVICE = "cpu"


def sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def timed(step, batch, min_seconds):
    for _ in range(5):  # warm-up, as Google Benchmark's first iterations
        step()
    sync()
    iterations, start = 0, time.perf_counter()
    while True:
        step()
        sync()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and iterations >= 10:
            return iterations * batch / elapsed


def mlp_step(min_seconds):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64)).to(DEVICE)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.randn(64, 64, device=DEVICE), torch.randn(64, 64, device=DEVICE)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    return timed(step, 64, min_seconds)


class ConvVAE(nn.Module):
    latent = 16

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(),
            nn.Linear(3136, 256), nn.ReLU(), nn.Linear(256, 2 * self.latent))
        self.decoder = nn.Sequential(
            nn.Linear(self.latent, 256), nn.ReLU(), nn.Linear(256, 3136), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))

    def loss(self, x):
        h = self.encoder(x)
        mu, logvar = h[:, :self.latent], h[:, self.latent:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = nn.functional.binary_cross_entropy_with_logits(self.decoder(z), x, reduction="sum")
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return (rec + kl) / x.shape[0]


def conv_vae_step(min_seconds, batch=128):
    torch.manual_seed(2)
    vae = ConvVAE().to(DEVICE)
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28, device=DEVICE)

    def step():
        opt.zero_grad()
        vae.loss(x).backward()
        opt.step()

    return timed(step, batch, min_seconds)


def main():
    global DEVICE
    args = sys.argv[1:]
    if "--device" in args:
        at = args.index("--device")
        DEVICE = args[at + 1]
        del args[at:at + 2]
    if DEVICE not in ("cpu", "cuda"):
        sys.exit(f"steps.py: --device must be cpu or cuda, not {DEVICE}")
    if DEVICE == "cuda" and not torch.cuda.is_available():
        sys.exit("steps.py: --device cuda but torch sees no CUDA device")
    torch.set_num_threads(threads())
    min_seconds = float(args[0]) if args else 2.0
    out = {"mlp_step": mlp_step(min_seconds), "conv_vae_step": conv_vae_step(min_seconds),
           "threads": torch.get_num_threads(), "torch": torch.__version__, "device": DEVICE}
    if DEVICE == "cuda":
        out["conv_vae_step_1024"] = conv_vae_step(min_seconds, batch=1024)
        out["gpu"] = torch.cuda.get_device_name(0)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
