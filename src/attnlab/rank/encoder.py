"""The authors' encoder, K models at once with stacked parameters.

Amsel, Yehudai and Bruna train a stock PyTorch ``TransformerEncoder`` with three changes: both
LayerNorms are replaced by ``s * x / ||x||`` with one learnable scalar ``s`` (init 1), dropout is
0, and each layer may hold ``c`` attention modules whose outputs are averaged (the width
multiplier). A layer is post-norm::

    h = norm_1(h + attention(h))
    h = norm_2(h + W_2 relu(W_1 h + b_1) + b_2)

With model width ``D`` and rank ``r``, a module has ``H = D / r`` heads of query/key/value
dimension ``r`` (as in ``nn.MultiheadAttention``), so the attention parameters per layer are
``~ 4 c D^2`` whatever the rank.

:class:`BatchedEncoder` holds ``K`` such models (different seeds, or different ranks with the
same ``c``) as tensors with a leading model dimension and runs them in one pass of batched
matrix products; attention runs once per distinct rank (all models of that rank together), on
the kernel :func:`~attnlab.rank.small_heads.attention_path` picks for that head dimension:
PyTorch's fused ``F.scaled_dot_product_attention``, or for heads of dimension 1 or 2 on the CPU
:class:`~attnlab.rank.small_heads.SmallHeadAttention` (heads laid out last, probabilities
recomputed in the backward pass), or on a GPU heads zero-padded to a dimension the fused kernels
accept; all compute the same function. Model ``k`` is
initialised from its own seed only, so a model trained inside a batch and the same model
trained alone start (and, in exact arithmetic, stay) identical.

Speed (measurements in ``benchmarks/``): the ``c`` modules are ``c * H`` heads of one attention
call, q/k/v weights one fused parameter ``Wqkv``, biases added inside the products
(``baddbmm``), and narrow models' feed-forward layers run in cache-sized chunks
(:class:`ChunkedFeedForward`), all to cut memory traffic, the CPU's bottleneck.

**The width multiplier, parameterised as the authors do.** Their layer sums the outputs of ``c``
``nn.MultiheadAttention`` modules and divides the sum by ``c`` in the forward pass. Here the ``c``
modules are ``c * H`` heads of one attention call whose concatenated outputs meet one
``(c D) x D`` out-projection ``Wo``: the ``c`` modules' out-projection weights stacked, *not*
divided by ``c``; the ``1/c`` is applied in the forward pass (to the small weight tensor, the
cheapest place in the chain). Each module keeps its own out-projection bias: ``bo`` holds the
``c`` biases and the layer adds their mean. So every parameter of the authors' model is one of
ours (a slice), enters the output the same way and receives the same gradient, and an
element-wise optimizer (AdamW) moves it the same way. (Storing ``Wo / c`` instead gives the same
function at initialisation, but AdamW's step does not scale with the weights, so such an
out-projection moves ``c`` times faster.) ``tests/rank/test_encoder.py`` trains this encoder and a
reference written the authors' way from the same weights and finds them equal to float32
precision at ``c = 1, 4, 8``.

Positional encodings: ``"none"`` (the authors' default), ``"additive"`` (a learned ``N x D``
table added to the input) or ``"concatenated"`` (``pos_dim`` learned extra coordinates per
position appended to the input, model width ``D = d + pos_dim``, output cropped to the first
``d`` coordinates). The concatenated coordinates start uniform on ``[-1, 1]`` as in the
authors' code; the additive table, whose initialisation we did not find there, at
``0.1 N(0, 1)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from attnlab._checks import check_choice, check_int, check_tensor
from attnlab.rank.small_heads import attend, attention_path

POSITIONAL = ("none", "additive", "concatenated")


def unit_norm(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``s * x / ||x||`` over the last dimension; ``x (K, ..., D)``, ``s (K,)`` (the scale is
    formed on the small ``(K, ..., 1)`` tensor: one full-size multiply)."""
    scale = s.view(-1, *([1] * (x.dim() - 1)))
    return x * (scale / x.norm(dim=-1, keepdim=True).clamp_min(1e-12))


class ChunkedFeedForward(torch.autograd.Function):
    """``W_2 relu(W_1 h + b_1) + b_2`` for ``K`` models, a cache-sized chunk of tokens at a time.

    The wide hidden layer is never written to main memory: the forward pass keeps one chunk of
    it in a small workspace, and the backward pass recomputes it chunk by chunk (one extra
    product) instead of storing it, which is faster where memory, not arithmetic, is the limit.

    ``apply(h (K, M, D), W1 (K, D, F), b1 (K, F), W2 (K, F, D), b2 (K, D)) -> (K, M, D)``.
    """

    WORKSPACE = 2**19  # floats of hidden layer per chunk (2 MB)

    @staticmethod
    def chunk(K: int, M: int, F_: int) -> int:
        return max(32, min(M, ChunkedFeedForward.WORKSPACE // (K * F_)))

    @staticmethod
    def forward(ctx, h, W1, b1, W2, b2):  # type: ignore[override]
        K, M, _ = h.shape
        step = ChunkedFeedForward.chunk(K, M, W1.shape[-1])
        out = torch.empty_like(h)  # (K, M, D)
        for s in range(0, M, step):
            hidden = torch.baddbmm(b1.unsqueeze(1), h[:, s : s + step], W1).relu_()  # (K, chunk, F)
            out[:, s : s + step] = torch.baddbmm(b2.unsqueeze(1), hidden, W2)  # (K, chunk, D)
        ctx.save_for_backward(h, W1, b1, W2)
        return out

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]  # g (K, M, D)
        h, W1, b1, W2 = ctx.saved_tensors
        K, M, _ = h.shape
        step = ChunkedFeedForward.chunk(K, M, W1.shape[-1])
        gh, gW1, gb1, gW2 = (
            torch.empty_like(h),
            torch.zeros_like(W1),
            torch.zeros_like(b1),
            torch.zeros_like(W2),
        )
        for s in range(0, M, step):
            hs, gs = h[:, s : s + step], g[:, s : s + step]  # (K, chunk, D)
            hidden = torch.baddbmm(b1.unsqueeze(1), hs, W1).relu_()  # recomputed (K, chunk, F)
            gW2.baddbmm_(hidden.transpose(1, 2), gs)  # (K, F, D)
            g_hidden = torch.bmm(gs, W2.transpose(1, 2))  # (K, chunk, F)
            g_hidden = torch.ops.aten.threshold_backward(g_hidden, hidden, 0)  # ReLU's gradient
            gb1 += g_hidden.sum(1)
            gW1.baddbmm_(hs.transpose(1, 2), g_hidden)  # (K, D, F)
            gh[:, s : s + step] = torch.bmm(g_hidden, W1.transpose(1, 2))  # (K, chunk, D)
        return gh, gW1, gb1, gW2, g.sum(1)


@dataclass(frozen=True)
class EncoderConfig:
    """What every model of a :class:`BatchedEncoder` is, apart from how it is trained.

    As nanoGPT keeps ``GPTConfig`` apart from its training script, the shape the ``K`` models of
    a run share lives here, and :class:`~attnlab.rank.config.TrainConfig` adds each model's rank
    and seed, the data and the optimiser. Fields as :class:`BatchedEncoder`'s arguments; every
    one is checked on construction (a bad value raises ``ValueError`` naming it).
    """

    d: int
    N: int
    layers: int = 1
    c: int = 1
    ff: int = 2048
    positional: str = "none"
    pos_dim: int | None = None

    def __post_init__(self) -> None:
        check_int("d", self.d, low=1)
        check_int("N", self.N, low=1)
        check_int("layers", self.layers, low=1)
        check_int("c", self.c, low=1)
        check_int("ff", self.ff, low=1)
        check_choice("positional", self.positional, POSITIONAL)
        if self.pos_dim is not None:
            check_int("pos_dim", self.pos_dim, low=1)

    @property
    def width(self) -> int:
        """The model width ``D``: ``d``, plus ``pos_dim`` (default ``d``) concatenated coordinates."""
        return self.d + ((self.pos_dim or self.d) if self.positional == "concatenated" else 0)

    def build(self, ranks: Sequence[int], seeds: Sequence[int]) -> BatchedEncoder:
        """``K`` models of this shape, model ``k`` of rank ``ranks[k]`` initialised from ``seeds[k]``."""
        return BatchedEncoder(
            self.d,
            self.N,
            ranks,
            seeds,
            layers=self.layers,
            c=self.c,
            ff=self.ff,
            positional=self.positional,
            pos_dim=self.pos_dim,
        )


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
        for p in params:  # one fused q/k/v projection: columns [q heads | k heads | v heads]
            p["Wqkv"] = torch.cat([p.pop("Wq"), p.pop("Wk"), p.pop("Wv")], dim=-1)  # (L, D, 3E)
            p["bqkv"] = torch.cat([p.pop("bq"), p.pop("bk"), p.pop("bv")], dim=-1)  # (L, 3E)
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
        # chunks only where the feed-forward products are memory-bound (narrow models); same numbers
        self.chunked_ff = D <= 32
        self.path: str | None = None  # attention kernel: None chooses by head dimension

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
            "Wo": u(1 / math.sqrt(D), L, E, D),  # c out-projections stacked; 1/c in forward
            "bo": torch.zeros(L, c, D),  # c out-projection biases; their mean is added
            "s1": torch.ones(L),
            "s2": torch.ones(L),
            "W1": u(1 / math.sqrt(D), L, D, F_),
            "b1": u(1 / math.sqrt(D), L, F_),
            "W2": u(1 / math.sqrt(F_), L, F_, D),
            "b2": u(1 / math.sqrt(F_), L, D),
        }
        if self.positional == "additive":
            p["pos"] = torch.randn(self.N, D, generator=gen) * 0.1
        elif self.positional == "concatenated":  # uniform on [-1, 1], as in the authors' code
            p["pos"] = torch.rand(self.N, self.pos_dim, generator=gen) * 2 - 1
        return p

    @property
    def K(self) -> int:
        return len(self.ranks)

    def _linear(self, h: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``h (K, B, N, D_in) @ W (K, D_in, D_out) + b (K, D_out)`` as one batched product.

        ``baddbmm`` adds the bias inside the matrix product (no separate elementwise pass).
        """
        K, B, N, _ = h.shape
        out = torch.baddbmm(b.unsqueeze(1), h.reshape(K, B * N, -1), W)  # (K, B*N, D_out)
        return out.view(K, B, N, -1)

    def attention(self, h: torch.Tensor, l: int) -> torch.Tensor:
        """Layer ``l``'s (width-multiplied) attention on ``h (K, B, N, D)``.

        The ``c`` averaged modules are just more heads of one attention call; ``q, k, v`` of all
        ``c * H`` heads come from one fused weight. The out-projection averages the modules as the
        authors' layer does: ``(1/c) sum_i (o_i Wo_i + bo_i)``, i.e. the stacked weight times
        ``1/c`` in the forward pass plus the mean of the ``c`` biases.
        """
        K, B, N, _ = h.shape
        E = self.E
        # three products, not one (K, B*N, 3E): SDPA's three gradients then need no concatenation
        Wq, Wk, Wv = self.Wqkv[l].split(E, dim=-1)  # (K, D, E) each
        bq, bk, bv = self.bqkv[l].split(E, dim=-1)  # (K, E) each
        q, k, v = (self._linear(h, W, b) for W, b in ((Wq, bq), (Wk, bk), (Wv, bv)))  # (K, B, N, E)
        outs = []
        for r, idx in self.rank_groups:  # models sharing a head split: one attention call
            whole = len(self.rank_groups) == 1  # all models: no gather copy
            qg, kg, vg = ((t if whole else t[idx]).view(-1, N, E) for t in (q, k, v))  # (Kg*B, N, E)
            path = self.attention_path(r, E // r, N, h.device)  # E / r = c * D / r heads
            outs.append(attend(qg, kg, vg, r, path).view(len(idx), B, N, E))
        out = outs[0] if len(outs) == 1 else torch.cat(outs)[self.unsort]  # (K, B, N, E), model order
        if self.c == 1:
            return self._linear(out, self.Wo[l], self.bo[l, :, 0])  # (K, B, N, D)
        # (1/c) (out Wo + sum of biases) = out (Wo / c) + mean of biases: 1/c on the small weight,
        # the cheapest place; gradients are those of the authors' form either way.
        return self._linear(out, self.Wo[l] * (1.0 / self.c), self.bo[l].mean(1))  # (K, B, N, D)

    def attention_path(self, r: int, heads: int, N: int, device: torch.device) -> str:
        """The attention kernel for ``heads`` heads of dimension ``r`` at length ``N`` on ``device``
        (:func:`attention_path`),
        or the one forced by setting the attribute ``path`` (``"fused"``, ``"small"`` or
        ``"padded"``; every path computes the same function)."""
        return self.path or attention_path(r, heads, N, device)

    def feed_forward(self, h: torch.Tensor, l: int) -> torch.Tensor:
        """``W_2 relu(W_1 h + b_1) + b_2`` on ``h (K, B, N, D)``; the wide hidden is rectified in place."""
        K, B, N, D = h.shape
        M = B * N
        plain = (
            not self.chunked_ff
            or torch.is_autocast_enabled(h.device.type)
            or ChunkedFeedForward.chunk(K, M, self.ff) >= M  # one chunk: recomputing is pure overhead
        )
        if plain:  # plain autograd
            hidden = torch.baddbmm(self.b1[l].unsqueeze(1), h.reshape(K, M, D), self.W1[l]).relu_()
            return torch.baddbmm(self.b2[l].unsqueeze(1), hidden, self.W2[l]).view(K, B, N, D)
        out = ChunkedFeedForward.apply(h.reshape(K, M, D), self.W1[l], self.b1[l], self.W2[l], self.b2[l])
        return out.view(K, B, N, D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, (self.K, "B", self.N, self.d))
        if self.positional == "additive":
            h = x + self.pos.unsqueeze(1)  # (K, B, N, D)
        elif self.positional == "concatenated":
            h = torch.cat([x, self.pos.unsqueeze(1).expand(-1, x.shape[1], -1, -1)], dim=-1)
        else:
            h = x
        for l in range(self.layers):
            h = unit_norm(h + self.attention(h, l), self.s1[l])  # (K, B, N, D)
            h = unit_norm(h + self.feed_forward(h, l), self.s2[l])
        return h[..., : self.d]

    def qk_forms(self, l: int = 0) -> list[torch.Tensor]:
        """Per model, the bilinear forms ``W_q^h (W_k^h)^T`` of layer ``l``'s heads: ``(heads, D, D)``.

        (Scores are ``h_i^T W_q^h (W_k^h)^T h_j / sqrt(r)`` plus bias terms.)
        """
        forms = []
        for k, r in enumerate(self.ranks):
            H = self.E // r
            Wq, Wk, _ = self.Wqkv[l, k].detach().view(self.D, 3, H, r).permute(1, 2, 0, 3)  # (H, D, r)
            forms.append(Wq @ Wk.transpose(1, 2))
        return forms

    def attention_parameters(self) -> int:
        """Attention parameters per layer of one model (weights and biases), as in the authors' ``c``
        modules: ``4 c D^2 + 4 c D``."""
        return 4 * self.E * self.D + 4 * self.E
