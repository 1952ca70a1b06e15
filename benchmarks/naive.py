"""The straightforward implementation of the authors' architecture, for comparison only.

A post-norm ``nn.TransformerEncoderLayer``-style block built from stock PyTorch modules:
``c`` independent ``nn.MultiheadAttention`` modules called in a Python loop and averaged,
LayerNorm replaced by ``s * x / ||x||`` with a learnable scalar ``s``, dropout 0, ReLU
feed-forward. One model at a time. This is what one would write first; attnlab's
``BatchedEncoder`` must match its numbers and beat its speed.

It is the one reference model of the encoder: ``tests/rank/test_encoder.py``
(``test_width_multiplier_trains_as_the_authors_encoder``) copies its weights into a
``BatchedEncoder`` and trains both, step by step, to the same numbers, and
``bench_fig1.py`` times it. No other hand-written encoder exists in the tests or benchmarks;
change the reference here and both follow.
"""

from __future__ import annotations

import torch
from torch import nn


class ScaleNorm(nn.Module):
    """``s * x / ||x||`` with one learnable scalar ``s`` (init 1)."""

    def __init__(self) -> None:
        super().__init__()
        self.s = nn.Parameter(torch.ones(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.s * x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


class NaiveLayer(nn.Module):
    def __init__(self, d: int, heads: int, c: int, ff: int) -> None:
        super().__init__()
        self.attns = nn.ModuleList(nn.MultiheadAttention(d, heads, batch_first=True) for _ in range(c))
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.ReLU(), nn.Linear(ff, d))
        self.norm1, self.norm2 = ScaleNorm(), ScaleNorm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, N, d)
        a = sum(attn(x, x, x, need_weights=False)[0] for attn in self.attns) / len(self.attns)
        x = self.norm1(x + a)
        return self.norm2(x + self.ff(x))


class NaiveEncoder(nn.Module):
    """``layers`` naive layers; ``forward(x (B, N, d)) -> (B, N, d)``."""

    def __init__(self, d: int, heads: int, layers: int = 1, c: int = 1, ff: int = 2048) -> None:
        super().__init__()
        self.layers = nn.ModuleList(NaiveLayer(d, heads, c, ff) for _ in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x
