"""Multi-head attention whose query/key rank and number of heads are chosen independently.

Standard multi-head attention ties the two together: ``H`` heads on a ``d``-dimensional
stream each get query/key dimension ``r = d / H``. The rank-versus-heads result
(Amsel, Yehudai and Bruna 2024) is about what happens when you untie them, so here
``rank`` and ``heads`` are separate arguments.

For head ``h`` with query and key maps ``W_q^h, W_k^h: R^d -> R^r`` the score of query
position ``i`` against key position ``j`` is the bilinear form

    s_h(i, j) = beta * <W_q^h x_i, W_k^h z_j> = beta * x_i^T (W_q^h)^T W_k^h z_j,

so the N x M score matrix of a head is ``X A_h Z^T`` with ``A_h = (W_q^h)^T W_k^h`` of
rank at most ``r``. Scores become probabilities over the keys by softmax, or by hardmax
(uniform on the maximisers; the beta -> infinity limit of softmax). Each head returns
the probability-weighted average of its values ``W_v^h z_j`` (dimension ``value_dim``),
and ``W_o`` maps the concatenated heads back to ``R^d``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from attnlab._checks import check_choice, check_float, check_int, check_tensor

NORMALIZATIONS = ("softmax", "hardmax")


def hardmax(scores: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Uniform distribution over the arg-max entries of ``scores`` along ``dim``.

    This is the limit of ``softmax(beta * scores)`` as ``beta -> inf`` (ties share the
    mass equally). Entries equal to ``-inf`` (masked) never receive mass unless the whole
    row is masked, in which case the result is NaN like softmax's.
    """
    top = scores.amax(dim=dim, keepdim=True)
    winners = (scores == top).to(scores.dtype)
    return winners / winners.sum(dim=dim, keepdim=True)


def normalize(scores: torch.Tensor, normalization: str = "softmax", dim: int = -1) -> torch.Tensor:
    """Turn scores into probabilities along ``dim`` with ``softmax`` or ``hardmax``."""
    check_choice("normalization", normalization, NORMALIZATIONS)
    return scores.softmax(dim=dim) if normalization == "softmax" else hardmax(scores, dim=dim)


def attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    *,
    beta: float,
    normalization: str = "softmax",
    mask: torch.Tensor | None = None,
    need_weights: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Scaled dot-product attention on any leading batch dimensions.

    Shapes: ``q (..., N, r)``, ``k (..., M, r)``, ``v (..., M, dv)``; ``mask`` (bool,
    broadcastable to ``(..., N, M)``, True = may attend). Returns ``(out (..., N, dv),
    weights (..., N, M) or None)``. The softmax path without weights uses PyTorch's
    fused kernel. Bad arguments raise ``ValueError`` naming the argument and what it allows.
    """
    check_tensor("q", q, ("...", "N", "r"))
    check_tensor("k", k, ("...", "M", q.shape[-1]))
    check_tensor("v", v, ("...", k.shape[-2], "dv"))
    try:
        torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"q, k and v must have broadcastable leading (batch) dimensions, got {tuple(q.shape[:-2])}, "
            f"{tuple(k.shape[:-2])} and {tuple(v.shape[:-2])}"
        ) from None
    check_float("beta", beta, low=0)
    check_choice("normalization", normalization, NORMALIZATIONS)
    if mask is not None and (not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool):
        raise ValueError(f"mask must be a bool tensor broadcastable to (..., N, M) or None, got {mask!r:.60}")
    if normalization == "softmax" and not need_weights:
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=beta)
        return out, None
    scores = beta * (q @ k.transpose(-1, -2))  # (..., N, M)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = normalize(scores, normalization)
    return weights @ v, weights


class LowRankAttention(nn.Module):
    """Multi-head attention with ``heads`` heads of query/key rank ``rank`` each.

    Args:
        d: width of the residual stream (input and output dimension).
        rank: query/key dimension ``r`` of every head, ``1 <= r <= d``.
        heads: number of heads ``H >= 1``.
        value_dim: value dimension per head (default ``rank``, as in standard attention
            where ``H * r = d``).
        normalization: ``"softmax"`` or ``"hardmax"``.
        beta: inverse temperature multiplying the scores (default ``1 / sqrt(rank)``).
        bias: whether the four projections carry biases.

    ``forward(x, context=None)``: ``x (B, N, d)`` are the queries; keys and values come
    from ``context (B, M, d)``, or from ``x`` itself (self-attention). Returns ``(B, N, d)``.

    Example::

        >>> attn = LowRankAttention(d=16, rank=2, heads=8)
        >>> attn(torch.randn(4, 10, 16)).shape
        torch.Size([4, 10, 16])
    """

    def __init__(
        self,
        d: int,
        rank: int,
        heads: int = 1,
        *,
        value_dim: int | None = None,
        normalization: str = "softmax",
        beta: float | None = None,
        bias: bool = False,
    ) -> None:
        super().__init__()
        self.d = check_int("d", d, low=1)
        self.rank = check_int("rank", rank, low=1, high=self.d)
        self.heads = check_int("heads", heads, low=1)
        self.value_dim = check_int("value_dim", self.rank if value_dim is None else value_dim, low=1)
        self.normalization = check_choice("normalization", normalization, NORMALIZATIONS)
        default_beta = 1.0 / math.sqrt(self.rank)
        self.beta = check_float("beta", default_beta if beta is None else beta, low=0.0, strict_low=True)
        H, r, dv = self.heads, self.rank, self.value_dim
        self.W_q = nn.Linear(d, H * r, bias=bias)
        self.W_k = nn.Linear(d, H * r, bias=bias)
        self.W_v = nn.Linear(d, H * dv, bias=bias)
        self.W_o = nn.Linear(H * dv, d, bias=bias)

    def extra_repr(self) -> str:
        return (
            f"d={self.d}, rank={self.rank}, heads={self.heads}, value_dim={self.value_dim}, "
            f"normalization={self.normalization!r}, beta={self.beta:.4g}"
        )

    def _split(self, t: torch.Tensor, size: int) -> torch.Tensor:
        B, N, _ = t.shape
        return t.view(B, N, self.heads, size).transpose(1, 2)  # (B, H, N, size)

    def _inputs(self, x: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        check_tensor("x", x, ("B", "N", self.d))
        if context is None:
            return x
        check_tensor("context", context, (x.shape[0], "M", self.d))
        return context

    def scores(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Pre-normalisation scores ``beta * <q_i, k_j>`` of every head: ``(B, H, N, M)``."""
        z = self._inputs(x, context)
        q = self._split(self.W_q(x), self.rank)  # (B, H, N, r)
        k = self._split(self.W_k(z), self.rank)  # (B, H, M, r)
        return self.beta * (q @ k.transpose(-1, -2))

    def bilinear_forms(self) -> torch.Tensor:
        """The matrices ``A_h = (W_q^h)^T W_k^h`` (without ``beta``): ``(H, d, d)``, rank ``<= r``."""
        Wq = self.W_q.weight.view(self.heads, self.rank, self.d)
        Wk = self.W_k.weight.view(self.heads, self.rank, self.d)
        return Wq.transpose(1, 2) @ Wk

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        *,
        mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``x (B, N, d)`` to ``context (B, M, d)`` (default ``x``).

        ``mask`` (bool, broadcastable to ``(B, H, N, M)``, True = may attend). With
        ``need_weights=True`` also returns the attention weights ``(B, H, N, M)``.
        """
        z = self._inputs(x, context)
        B, N, _ = x.shape
        q = self._split(self.W_q(x), self.rank)  # (B, H, N, r)
        k = self._split(self.W_k(z), self.rank)  # (B, H, M, r)
        v = self._split(self.W_v(z), self.value_dim)  # (B, H, M, dv)
        out, weights = attend(
            q, k, v, beta=self.beta, normalization=self.normalization, mask=mask, need_weights=need_weights
        )
        out = self.W_o(out.transpose(1, 2).reshape(B, N, self.heads * self.value_dim))  # (B, N, d)
        return (out, weights) if need_weights else out
