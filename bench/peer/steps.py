#!/usr/bin/python3
"""The training steps of bench/steps.cpp, written in PyTorch, timed the same way.

Prints one JSON object: {"mlp_step": samples/s, "conv_vae_step": samples/s, "csvae_step": samples/s,
"ccvae_step": samples/s, "ccvae_step_semi": samples/s, "ccvae_params": n, "threads": n, ...}.
Run through compare.py, which fixes the thread count for both sides.

  steps.py [seconds] [--device cuda]

With --device cuda the models and data live on the GPU (PyTorch's defaults:
cuDNN, its TF32 settings, eager mode), every step ends with
torch.cuda.synchronize() as bench/gpu_steps.cu's end with synchronize(device),
and the conv VAE step is also timed at batch 1024 ("conv_vae_step_1024").
"""
import json
import math
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


class CSVAE(nn.Module):
    """CSVAE on the swiss roll as examples/csvae_swiss_roll.cpp builds it: z and w of 2 dims, one
    binary label, MLPs of 64→64, scale = max(softplus(raw), 1e-3), switch prior N(3, 1) / N(0, 0.1²)."""

    def __init__(self):
        super().__init__()
        mlp = lambda i, o: nn.Sequential(nn.Linear(i, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, o))
        self.head_z, self.head_w, self.decoder = mlp(3, 4), mlp(4, 4), mlp(4, 3)
        self.adversary = mlp(2, 1)

    @staticmethod
    def gaussian(h):
        return h[:, :2], torch.clamp(nn.functional.softplus(h[:, 2:]), min=1e-3)

    @staticmethod
    def kl(mq, sq, mp, sp):
        return (torch.log(sp / sq) + (sq ** 2 + (mq - mp) ** 2) / (2 * sp ** 2) - 0.5).sum(1)

    def losses(self, x, y):
        mz, sz = self.gaussian(self.head_z(x))
        mw, sw = self.gaussian(self.head_w(torch.cat([x, y], 1)))
        z = mz + sz * torch.randn_like(mz)
        w = mw + sw * torch.randn_like(mw)
        recon = ((self.decoder(torch.cat([z, w], 1)) - x) ** 2).mean(1).mean()
        kl_z = self.kl(mz, sz, torch.zeros_like(mz), torch.ones_like(sz)).mean()
        kl_w = self.kl(mw, sw, 3.0 * y, 1.0 * y + 0.1 * (1 - y)).mean()
        logits = self.adversary(z)
        p = torch.sigmoid(logits)
        entropy = nn.functional.binary_cross_entropy_with_logits(logits, p, reduction="none").sum(1).mean()
        m1 = 20 * recon + kl_w + 0.2 * kl_z - 10 * entropy
        m2 = nn.functional.binary_cross_entropy_with_logits(self.adversary(z.detach()), y, reduction="none").sum(1).mean()
        return m1, m2


def csvae_step(min_seconds):
    torch.manual_seed(3)
    m = CSVAE().to(DEVICE)
    model_params = [p for n, p in m.named_parameters() if not n.startswith("adversary")]
    opt = torch.optim.Adam(model_params, lr=1e-3)
    opt_adv = torch.optim.Adam(m.adversary.parameters(), lr=1e-3)
    t = 1.5 * torch.pi * (1 + 2 * torch.rand(64, device=DEVICE))
    x = torch.stack([t * torch.cos(t), 21 * torch.rand(64, device=DEVICE), t * torch.sin(t)], 1)
    y = (t >= 3 * torch.pi).float().unsqueeze(1)

    def step():
        opt.zero_grad()
        opt_adv.zero_grad()
        m1, m2 = m.losses(x, y)
        m1.backward(retain_graph=True)
        opt_adv.zero_grad()  # M1's gradient must not update the adversary
        m2.backward()
        opt.step()
        opt_adv.step()

    return timed(step, 64, min_seconds)


class CCVAE(nn.Module):
    """CCVAE on 28×28 images with one categorical label of ten classes, as examples/ccvae_fashion.cpp
    builds it by default (ccvae_categorical<> with conv_networks(conv_stack_28()), MODELS.md §5):

    - shared trunk (nn::conv_encoder(stack, 256) + ReLU): Conv 1→32 and 32→64 (4×4, stride 2,
      padding 1, ReLU), Flatten, Linear 3136→256, ReLU, Linear 256→256, ReLU; no batch norm;
    - one Linear 256→2d head per block (z_c "c" and z_\\c "z", d = 16): [loc | raw],
      scale = clamp(softplus(raw), 1e-3);
    - decoder (nn::conv_decoder(stack, 32)): Linear 32→256, ReLU, Linear 256→3136, ReLU,
      Unflatten(64, 7, 7), ConvTranspose 64→32, ReLU, ConvTranspose 32→1: Bernoulli logits;
    - p(z_c | y) = N(loc_y, clamp(softplus(raw_y), 1e-3)²), loc and raw [10, 16] learned;
      p(z_\\c) = N(0, I), analytic KL;
    - q(y | z_c) = Cat(softmax(z_c·W + b)), W [16, 10]; p(y) uniform;
    - log q(y|x) = logsumexp over K = 10 reparameterised draws of z_c of log q(y | z_c) − log K.
    """

    def __init__(self, c=16, z=16, classes=10, samples=10):
        super().__init__()
        self.c, self.z, self.classes, self.samples = c, z, classes, samples
        self.trunk = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(),
            nn.Linear(3136, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
        self.head_c, self.head_z = nn.Linear(256, 2 * c), nn.Linear(256, 2 * z)
        self.decoder = nn.Sequential(
            nn.Linear(c + z, 256), nn.ReLU(), nn.Linear(256, 3136), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))
        self.prior_loc = nn.Parameter(torch.randn(classes, c))
        self.prior_raw = nn.Parameter(torch.full((classes, c), 0.541324854612918))  # softplus⁻¹(1)
        self.classifier_weight = nn.Parameter(torch.randn(c, classes) / c ** 0.5)
        self.classifier_bias = nn.Parameter(torch.zeros(1, classes))
        self.register_buffer("log_p_y", torch.full((1, classes), -math.log(classes)))

    HALF_LOG_2PI = 0.91893853320467274178

    @staticmethod
    def gaussian(h, d):
        return h[:, :d], torch.clamp(nn.functional.softplus(h[:, d:]), min=1e-3)

    @classmethod
    def log_prob(cls, x, loc, scale):  # log N(x | loc, scale²) summed over the last dimension
        return (-0.5 * ((x - loc) / scale) ** 2 - torch.log(scale) - cls.HALF_LOG_2PI).sum(-1)

    def logits(self, zc):
        return zc @ self.classifier_weight + self.classifier_bias

    def log_q_y(self, zc, y):  # log q(y | z_c) [n] for one-hot y
        return (torch.log_softmax(self.logits(zc), 1) * y).sum(1)

    def losses(self, x, y, labelled=None):
        """The main loss: batch mean of −L_sup on labelled rows (+ −L_unsup on the rest, labelled [n] given).
        As in latent, both bounds are computed for every row and masked (hidden labels read as class 0)."""
        n = x.shape[0]
        h = self.trunk(x)
        loc_c, scale_c = self.gaussian(self.head_c(h), self.c)
        loc_z, scale_z = self.gaussian(self.head_z(h), self.z)
        zc = loc_c + scale_c * torch.randn_like(loc_c)
        zz = loc_z + scale_z * torch.randn_like(loc_z)
        recon = nn.functional.binary_cross_entropy_with_logits(
            self.decoder(torch.cat([zc, zz], 1)), x, reduction="none").sum((1, 2, 3))
        kl_z = (0.5 * (loc_z ** 2 + scale_z ** 2 - 1) - torch.log(scale_z)).sum(1)
        common = -recon - self.log_prob(zc, loc_c, scale_c) - kl_z

        # Supervised bound: w·(common + log p(z_c|y) − log q(y|z_c)) + log q(y|x) + log p(y).
        p_loc = y @ self.prior_loc
        p_scale = torch.clamp(nn.functional.softplus(y @ self.prior_raw), min=1e-3)
        k = self.samples
        draws = loc_c.repeat_interleave(k, 0) + scale_c.repeat_interleave(k, 0) * torch.randn(n * k, self.c, device=x.device)
        ll = self.log_q_y(draws, y.repeat_interleave(k, 0)).view(n, k)
        log_q_y_x = torch.logsumexp(ll, 1) - math.log(k)
        weight = torch.exp(self.log_q_y(zc.detach(), y) - log_q_y_x)
        inner = common + self.log_prob(zc, p_loc, p_scale) - self.log_q_y(zc, y)
        sup = weight * inner + log_q_y_x + (y * self.log_p_y).sum(1)
        if labelled is None:
            return (-sup).mean()

        # Unsupervised bound, the classes enumerated: common + Σ_y q(y|z_c)(log p(z_c|y) + log p(y) − log q(y|z_c)).
        log_q = torch.log_softmax(self.logits(zc), 1)
        all_scale = torch.clamp(nn.functional.softplus(self.prior_raw), min=1e-3)
        log_p_z = self.log_prob(zc.unsqueeze(1), self.prior_loc.unsqueeze(0), all_scale.unsqueeze(0))  # [n, K]
        unsup = common + (torch.exp(log_q) * (log_p_z + self.log_p_y - log_q)).sum(1)
        return (labelled * -sup).mean() + ((1 - labelled) * -unsup).mean()


def ccvae_step(min_seconds, semi=False):
    torch.manual_seed(4)
    batch, classes = 128, 10
    m = CCVAE().to(DEVICE)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    x = torch.rand(batch, 1, 28, 28, device=DEVICE)
    labels = torch.tensor([(7 * i + 3) % classes for i in range(batch)], device=DEVICE)
    labelled = None
    if semi:  # rows 64…127 hidden, their labels read as class 0 (as latent's model does)
        labelled = (torch.arange(batch, device=DEVICE) < batch // 2).float()
        labels = torch.where(labelled > 0, labels, torch.zeros_like(labels))
    y = nn.functional.one_hot(labels, classes).float()

    def step():
        opt.zero_grad()
        m.losses(x, y, labelled).backward()
        opt.step()

    return timed(step, batch, min_seconds)


def ccvae_parameters():
    return sum(p.numel() for p in CCVAE().parameters() if p.requires_grad)


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
           "csvae_step": csvae_step(min_seconds),
           "ccvae_step": ccvae_step(min_seconds), "ccvae_step_semi": ccvae_step(min_seconds, semi=True),
           "ccvae_params": ccvae_parameters(),
           "threads": torch.get_num_threads(), "torch": torch.__version__, "device": DEVICE}
    if DEVICE == "cuda":
        out["conv_vae_step_1024"] = conv_vae_step(min_seconds, batch=1024)
        out["gpu"] = torch.cuda.get_device_name(0)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
