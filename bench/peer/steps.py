#!/usr/bin/python3
"""The two training steps of bench/steps.cpp, written in PyTorch, timed the same way.

Prints one JSON object: {"mlp_step": samples/s, "conv_vae_step": samples/s, "threads": n}.
Run through compare.py, which fixes the thread count for both sides.
"""
import json
import os
import sys
import time

import torch
from torch import nn


def threads():
    return int(os.environ.get("OMP_NUM_THREADS", "1"))


def timed(step, batch, min_seconds):
    for _ in range(5):  # warm-up, as Google Benchmark's first iterations
        step()
    iterations, start = 0, time.perf_counter()
    while True:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds and iterations >= 10:
            return iterations * batch / elapsed


def mlp_step(min_seconds):
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.randn(64, 64), torch.randn(64, 64)
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
    vae = ConvVAE()
    opt = torch.optim.Adam(vae.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28)

    def step():
        opt.zero_grad()
        vae.loss(x).backward()
        opt.step()

    return timed(step, batch, min_seconds)


def main():
    torch.set_num_threads(threads())
    min_seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    print(json.dumps({"mlp_step": mlp_step(min_seconds), "conv_vae_step": conv_vae_step(min_seconds),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
