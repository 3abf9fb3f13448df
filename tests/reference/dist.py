#!/usr/bin/python3
"""Reference values for tests/dist/*.cpp, printed by torch.distributions (Debian's torch 1.13).

    /usr/bin/python3 tests/reference/dist.py

All in double precision. Each log-probability, entropy and KL is printed per
row, summed over the event dimensions (what the C++ members return, shape [n]);
the `_elements` lines are the per-element values before that sum.
"""
import torch
from torch.distributions import Bernoulli, Categorical, Laplace, Normal, kl_divergence

torch.set_default_dtype(torch.float64)


def show(name, t):
    values = ", ".join(repr(float(v)) for v in t.detach().reshape(-1))
    print(f"const std::vector<double> {name} = {{{values}}};")


# Diagonal Gaussian, [2, 3], and a prior-like one with [1, 3] parameters broadcast to x [2, 3].
loc = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.25, -3.0]])
scale = torch.tensor([[1.5, 0.2, 3.0], [0.7, 1.0, 0.05]])
x = torch.tensor([[1.0, -0.5, -2.0], [0.3, 0.25, -2.9]])
q = Normal(loc, scale)
show("normal_log_prob_elements", q.log_prob(x))
show("normal_log_prob", q.log_prob(x).sum(-1))
show("normal_entropy", q.entropy().sum(-1))
prior = Normal(torch.tensor([[0.1, -0.2, 0.3]]), torch.tensor([[2.0, 0.5, 1.0]]))
show("normal_broadcast_log_prob", prior.log_prob(x).sum(-1))

# Laplace, same parameters.
lq = Laplace(loc, scale)
show("laplace_log_prob_elements", lq.log_prob(x))
show("laplace_log_prob", lq.log_prob(x).sum(-1))
show("laplace_entropy", lq.entropy().sum(-1))

# Bernoulli on logits, far from zero included; soft targets as a Bernoulli likelihood
# of grey pixels uses them (torch evaluates them without validation: -BCE with logits).
logits = torch.tensor([[-100.0, -2.0, -0.5], [0.0, 0.75, 40.0]])
targets = torch.tensor([[0.3, 1.0, 0.0], [0.5, 0.9, 1.0]])
b = Bernoulli(logits=logits, validate_args=False)
show("bernoulli_log_prob_elements", b.log_prob(targets))
show("bernoulli_log_prob", b.log_prob(targets).sum(-1))
show("bernoulli_entropy_elements", b.entropy())
show("bernoulli_entropy", b.entropy().sum(-1))

# Categorical over 4 classes, 3 rows.
clogits = torch.tensor([[0.5, -1.25, 2.0, 0.0], [-0.75, 0.25, 1.5, 3.0], [30.0, 0.0, -20.0, 1.0]])
c = Categorical(logits=clogits)
labels = torch.tensor([2, 0, 1])
show("categorical_log_prob", c.log_prob(labels))
show("categorical_entropy", c.entropy())
show("categorical_probs", c.probs)
soft = torch.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
show("categorical_soft_log_prob", (soft * c.logits).sum(-1))

# Analytic KL of diagonal Gaussians, [2, 3] against [2, 3], against a [1, 3] prior, and against N(0, I).
p = Normal(torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]), torch.tensor([[0.5, 2.0, 1.0], [1.0, 0.3, 4.0]]))
show("kl_normal_normal", kl_divergence(q, p).sum(-1))
show("kl_normal_prior", kl_divergence(q, Normal(prior.loc.expand(2, 3), prior.scale.expand(2, 3))).sum(-1))
show("kl_normal_standard", kl_divergence(q, Normal(torch.zeros(2, 3), torch.ones(2, 3))).sum(-1))
