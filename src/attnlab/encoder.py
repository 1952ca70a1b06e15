"""The authors' encoder, K models at once with stacked parameters.

Amsel, Yehudai and Bruna train a stock PyTorch ``TransformerEncoder`` with three changes: both
LayerNorms are replaced by ``s * x / ||x||`` with one learnable scalar ``s`` (init 1), dropout is
0, and each layer may hold ``c`` attention modules whose outputs are averaged (the width
multiplier; the same as ``c * H`` heads with the output map divided by ``c``). A layer is
post-norm::

    h = norm_1(h + attention(h))
    h = norm_2(h + W_2 relu(W_1 h + b_1) + b_2)

With model width ``D`` and rank ``r``, a module has ``H = D / r`` heads of query/key/value
dimension ``r`` (as in ``nn.MultiheadAttention``), so the attention parameters per layer are
``~ 4 c D^2`` whatever the rank.

:class:`BatchedEncoder` holds ``K`` such models (different seeds, or different ranks with the
same ``c``) as tensors with a leading model dimension and runs them in one pass of batched
matrix products; attention runs PyTorch's fused ``F.scaled_dot_product_attention`` once per
distinct rank (all models of that rank together). Model ``k`` is
initialised from its own seed only, so a model trained inside a batch and the same model
trained alone start (and, in exact arithmetic, stay) identical.

Positional encodings: ``"none"`` (the authors' default), ``"additive"`` (a learned ``N x D``
table added to the input) or ``"concatenated"`` (``pos_dim`` learned extra coordinates per
position appended to the input, model width ``D = d + pos_dim``, output cropped to the first
``d`` coordinates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from attnlab._checks import check_choice, check_int, check_tensor

POSITIONAL = ("none", "additive", "concatenated")


def unit_norm(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``s * x / ||x||`` over the last dimension; ``x (K, ..., D)``, ``s (K,)``."""
    scale = s.view(-1, *([1] * (x.dim() - 1)))
    return scale * x / x.norm(dim=-1, keepdim=True).clamp_min(1e-12)


class BatchedEncoder(nn.Module):
    """``K`` post-norm encoders with unit-norm "LayerNorm", trained as one module.

    Args:
        d: dimension of the points (input and output).
        N: sequence length (needed by learned positional encodings).
        ranks: one query/key rank per model; each must divide the model width ``D``.
        seeds: one initialisation seed per model (same length as ``ranks``).
        layers: number of layers ``L >= 1``.
        c: width multiplier ``c >= 1`` (``c`` averaged attention modules per layer).
        ff: feed-forward width.
        positional: ``"none"``, ``"additive"`` or ``"concatenated"``.
        pos_dim: extra coordinates for ``"concatenated"`` (default ``d``).

    ``forward(x (K, B, N, d)) -> (K, B, N, d)``.
    """

    def __init__(
        self,
        d: int,
        N: int,
        ranks: Sequence[int],
        seeds: Sequence[int],
        *,
        layers: int = 1,
        c: int = 1,
        ff: int = 2048,
        positional: str = "none",
        pos_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.d = check_int("d", d, low=1)
        self.N = check_int("N", N, low=2)
        self.layers = check_int("layers", layers, low=1)
        self.c = check_int("c", c, low=1)
        self.ff = check_int("ff", ff, low=1)
        self.positional = check_choice("positional", positional, POSITIONAL)
        self.pos_dim = check_int("pos_dim", d if pos_dim is None else pos_dim, low=1)
        D = self.D = d + (self.pos_dim if positional == "concatenated" else 0)
        if len(ranks) == 0 or len(ranks) != len(seeds):
            raise ValueError(f"ranks and seeds must be non-empty and of equal length; got {ranks}, {seeds}")
        self.ranks = tuple(check_int("rank", r, low=1, high=D) for r in ranks)
        for r in self.ranks:
            if D % r:
                raise ValueError(f"rank must divide the model width D={D}; got {r}")
        self.seeds = tuple(check_int("seed", s, low=0) for s in seeds)
        E = self.c * D  # all heads' q/k/v coordinates

        params = [self._init_one(seed) for seed in self.seeds]  # per model: name -> tensor
        for name in params[0]:
            setattr(
                self,
                name,
                nn.Parameter(torch.stack([p[name] for p in params], dim=1 if name != "pos" else 0)),
            )
        # models grouped by rank (in order of first appearance); unsort restores model order
        groups: dict[int, list[int]] = {}
        for k, r in enumerate(self.ranks):
            groups.setdefault(r, []).append(k)
        self.rank_groups = [(r, torch.tensor(idx)) for r, idx in groups.items()]
        order = torch.cat([idx for _, idx in self.rank_groups])
        self.unsort = torch.argsort(order)
        self.E = E

    def _init_one(self, seed: int) -> dict[str, torch.Tensor]:
        """One model's parameters (``L`` leading), drawn from ``seed`` in a fixed order."""
        gen = torch.Generator().manual_seed(seed)
        D, E, F_, L, c = self.D, self.c * self.D, self.ff, self.layers, self.c
        u = lambda bound, *shape: (torch.rand(*shape, generator=gen) * 2 - 1) * bound
        xavier = math.sqrt(6 / (D + 3 * D))  # nn.MultiheadAttention's in_proj (3D x D) init
        p = {
            "Wq": u(xavier, L, D, E),
            "Wk": u(xavier, L, D, E),
            "Wv": u(xavier, L, D, E),
            "bq": torch.zeros(L, E),
            "bk": torch.zeros(L, E),
            "bv": torch.zeros(L, E),
            "Wo": u(1 / math.sqrt(D), L, E, D) / c,  # c out-projections, averaged
            "bo": torch.zeros(L, D),
            "s1": torch.ones(L),
            "s2": torch.ones(L),
            "W1": u(1 / math.sqrt(D), L, D, F_),
            "b1": u(1 / math.sqrt(D), L, F_),
            "W2": u(1 / math.sqrt(F_), L, F_, D),
            "b2": u(1 / math.sqrt(F_), L, D),
        }
        if self.positional == "additive":
            p["pos"] = torch.randn(self.N, D, generator=gen) * 0.1
        elif self.positional == "concatenated":
            p["pos"] = torch.randn(self.N, self.pos_dim, generator=gen) * 0.1
        return p

    @property
    def K(self) -> int:
        return len(self.ranks)

    def _linear(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``h (K, B, N, D_in) @ W (K, D_in, D_out) + b (K, D_out)`` as one batched product."""
        K, B, N, _ = h.shape
        out = torch.baddbmm(b.unsqueeze(1), h.reshape(K, B * N, -1), W)  # (K, B*N, D_out)
        return out.view(K, B, N, -1)

    def attention(self, h: torch.Tensor, l: int) -> torch.Tensor:
        """Layer ``l``'s (width-multiplied) attention on ``h (K, B, N, D)``."""
        K, B, N, _ = h.shape
        q = self._linear(h, self.Wq[l], self.bq[l])  # (K, B, N, E)
        k = self._linear(h, self.Wk[l], self.bk[l])
        v = self._linear(h, self.Wv[l], self.bv[l])
        outs = []
        for r, idx in self.rank_groups:  # models sharing a head split: one fused kernel call
            H = self.E // r
            whole = len(self.rank_groups) == 1  # all models: no gather copy
            qg, kg, vg = (
                (t if whole else t[idx]).reshape(len(idx) * B, N, H, r).transpose(1, 2) for t in (q, k, v)
            )
            o = F.scaled_dot_product_attention(qg, kg, vg)  # (k*B, H, N, r), scale 1/sqrt(r)
            outs.append(o.transpose(1, 2).reshape(len(idx), B, N, self.E))
        out = outs[0] if len(outs) == 1 else torch.cat(outs)[self.unsort]  # (K, B, N, E), model order
        return self._linear(out, self.Wo[l], self.bo[l])  # (K, B, N, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, (self.K, "B", self.N, self.d))
        if self.positional == "additive":
            h = x + self.pos.unsqueeze(1)  # (K, B, N, D)
        elif self.positional == "concatenated":
            h = torch.cat([x, self.pos.unsqueeze(1).expand(-1, x.shape[1], -1, -1)], dim=-1)
        else:
            h = x
        for l in range(self.layers):
            h = unit_norm(h + self.attention(h, l), self.s1[l])
            f = self._linear(F.relu(self._linear(h, self.W1[l], self.b1[l])), self.W2[l], self.b2[l])
            h = unit_norm(h + f, self.s2[l])
        return h[..., : self.d]

    def qk_forms(self, l: int = 0) -> list[torch.Tensor]:
        """Per model, the bilinear forms ``W_q^h (W_k^h)^T`` of layer ``l``'s heads: ``(heads, D, D)``.

        (Scores are ``h_i^T W_q^h (W_k^h)^T h_j / sqrt(r)`` plus bias terms.)
        """
        forms = []
        for k, r in enumerate(self.ranks):
            H = self.E // r
            Wq = self.Wq[l, k].detach().view(self.D, H, r).permute(1, 0, 2)  # (H, D, r)
            Wk = self.Wk[l, k].detach().view(self.D, H, r).permute(1, 0, 2)
            forms.append(Wq @ Wk.transpose(1, 2))
        return forms

    def attention_parameters(self) -> int:
        """Attention parameters per layer of one model (weights and biases): ``4 c D^2 + 3 c D + D``."""
        return 4 * self.E * self.D + 3 * self.E + self.D
