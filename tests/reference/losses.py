#!/usr/bin/python3
"""Reference values for tests/autograd/loss.cpp, printed by PyTorch (run with Debian's torch 1.13).

    /usr/bin/python3 tests/reference/losses.py

Every loss is taken with reduction='none' (one value per element or row) and the
gradients are those of the plain sum of those values, which is what the C++
test sends back (backward of sum(loss)). log_softmax's gradient is that of
sum(log_softmax(x) * w) for the fixed weights w below. All in double precision.
"""
import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)


def show(name, t):
    values = ", ".join(repr(float(v)) for v in t.detach().reshape(-1))
    print(f"{name} = {{{values}}};")


# Binary cross-entropy with logits, elementwise, logits far from zero included.
x = torch.tensor([-100.0, -2.0, -0.5, 0.0, 0.75, 100.0], dtype=torch.float64, requires_grad=True)
t = torch.tensor([0.3, 1.0, 0.0, 0.5, 0.9, 0.2], dtype=torch.float64, requires_grad=True)
loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
loss.sum().backward()
show("bce_loss", loss)
show("bce_dlogits", x.grad)
show("bce_dtargets", t.grad)

# Cross-entropy with class labels, per row.
logits = [[0.5, -1.25, 2.0], [-0.75, 0.25, 1.5], [3.0, 0.0, -2.0]]
x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
labels = torch.tensor([2, 0, 1])
loss = F.cross_entropy(x, labels, reduction="none")
loss.sum().backward()
show("ce_hard_loss", loss)
show("ce_hard_dlogits", x.grad)

# Cross-entropy with probability targets, per row; the targets take gradients too.
x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
p = torch.tensor([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3], [0.0, 1.0, 0.0]], dtype=torch.float64, requires_grad=True)
loss = F.cross_entropy(x, p, reduction="none")
loss.sum().backward()
show("ce_soft_loss", loss)
show("ce_soft_dlogits", x.grad)
show("ce_soft_dprobs", p.grad)

# log_softmax over each row, and the gradient of sum(log_softmax(x) * w).
x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
w = torch.tensor([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0], [-1.5, 0.0, 2.0]], dtype=torch.float64)
y = F.log_softmax(x, dim=1)
(y * w).sum().backward()
show("log_softmax_value", y)
show("log_softmax_dlogits", x.grad)

# Mean squared error (MSELoss, reduction='mean').
a = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]], dtype=torch.float64, requires_grad=True)
b = torch.tensor([[0.5, -1.0, 0.5], [1.0, 2.0, -3.0]], dtype=torch.float64, requires_grad=True)
loss = F.mse_loss(a, b)
loss.backward()
show("mse_loss", loss)
show("mse_da", a.grad)
show("mse_db", b.grad)
