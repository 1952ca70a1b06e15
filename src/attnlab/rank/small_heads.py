"""Attention for many heads of small dimension, without keeping the ``N x N`` probabilities.

With ``E`` query/key/value coordinates split into ``H = E / r`` heads of dimension ``r``, the
probabilities of all heads are ``H N^2 = E N^2 / r`` numbers per sequence: ``N / r`` times the
queries. At ``r = 1`` and ``r = 2`` they are the largest tensor of the layer, and a kernel that
runs heads one small matrix product at a time spends its time on per-head overhead, not on
arithmetic.

:class:`SmallHeadAttention` lays the heads out last, so every elementwise operation runs over a
contiguous vector of heads: a score is ``sum_t q[i, t, h] k[j, t, h]`` (``r`` multiply-adds of
whole head vectors), and the softmax and the weighted sum of values are reductions over ``j``.
It works a cache-sized block of (sequences, queries) at a time, keeps for the backward pass only
``q, k, v`` (fused attention kernels also keep the output and one log-sum-exp per query and head:
at ``r = 1`` as large as ``q``), and recomputes each block's probabilities and the row sums
``sum_j p_ij dp_ij`` in the backward pass, as :class:`~attnlab.rank.encoder.ChunkedFeedForward`
recomputes its hidden layer. At ``r = 1`` the heads-last layout is the input's own, so ``q, k, v``
are kept without a copy. The arithmetic is
that of softmax attention with scale ``1 / sqrt(r)``; only the order of float additions differs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def heads_last(t: torch.Tensor, r: int) -> torch.Tensor:
    """``(B, N, E)`` with heads of ``r`` consecutive coordinates -> contiguous ``(B, N, r, E / r)``."""
    B, N, E = t.shape
    return t.view(B, N, E // r, r).transpose(2, 3).contiguous()


def heads_first(t: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`heads_last`: ``(B, N, r, H) -> (B, N, H r)`` (a copy)."""
    B, N, r, H = t.shape
    return t.transpose(2, 3).reshape(B, N, H * r)


def _scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``s[b, i, j, h] = sum_t q[b, i, t, h] k[b, j, t, h]`` for ``q (b, I, r, H)``, ``k (b, J, r, H)``."""
    s = q[:, :, None, 0] * k[:, None, :, 0]  # (b, I, J, H)
    for t in range(1, q.shape[2]):
        s.addcmul_(q[:, :, None, t], k[:, None, :, t])
    return s


class SmallHeadAttention(torch.autograd.Function):
    """Softmax attention of heads-last ``q, k, v (B, N, r, H)`` -> ``(B, N, r, H)``, scale
    ``1 / sqrt(r)``, a block of sequences and queries at a time; only ``q, k, v`` kept, the
    probabilities recomputed in the backward pass."""

    WORKSPACE = 2**20  # floats of one block's scores (4 MB: fewer, larger operations than 1 MB, same speed)

    @staticmethod
    def blocks(B: int, N: int, H: int) -> tuple[int, int]:
        """Sequences and queries per block: a block's ``b x I x N x H`` scores fill the workspace."""
        per_query = N * H
        queries = max(1, min(N, SmallHeadAttention.WORKSPACE // per_query))
        sequences = max(1, min(B, SmallHeadAttention.WORKSPACE // (per_query * N))) if queries == N else 1
        return sequences, queries

    @staticmethod
    def forward(ctx, q, k, v):  # type: ignore[override]
        B, N, r, H = q.shape
        scale = 1 / math.sqrt(r)
        out = torch.empty_like(q)
        nb, nq = SmallHeadAttention.blocks(B, N, H)
        for b in range(0, B, nb):
            kb, vb = k[b : b + nb], v[b : b + nb]
            for i in range(0, N, nq):
                p = _scores(q[b : b + nb, i : i + nq] * scale, kb)  # (b, I, N, H)
                m = p.amax(2)  # (b, I, H)
                p.sub_(m.unsqueeze(2)).exp_()
                total = p.sum(2)  # (b, I, H)
                p.div_(total.unsqueeze(2))
                for t in range(r):
                    torch.sum(p * vb[:, None, :, t], 2, out=out[b : b + nb, i : i + nq, t])
        ctx.save_for_backward(q, k, v)
        return out

    @staticmethod
    def backward(ctx, g):  # type: ignore[override]  # g (B, N, r, H)
        q, k, v = ctx.saved_tensors
        B, N, r, H = q.shape
        scale = 1 / math.sqrt(r)
        g = g.contiguous()
        gq, gk, gv = torch.empty_like(q), torch.zeros_like(k), torch.zeros_like(v)
        nb, nq = SmallHeadAttention.blocks(B, N, H)
        for b in range(0, B, nb):
            kb, vb = k[b : b + nb], v[b : b + nb]
            for i in range(0, N, nq):
                qs = q[b : b + nb, i : i + nq] * scale  # (b, I, r, H)
                gs = g[b : b + nb, i : i + nq]
                p = _scores(qs, kb)  # (b, I, N, H), recomputed
                p.sub_(p.amax(2, keepdim=True)).exp_()
                p.div_(p.sum(2, keepdim=True))
                for t in range(r):
                    gv[b : b + nb, :, t] += (p * gs[:, :, None, t]).sum(1)
                ds = _scores(gs, vb)  # dP (b, I, N, H)
                delta = (p * ds).sum(2, keepdim=True)  # sum_j p_ij dP_ij
                ds.sub_(delta).mul_(p)  # dS
                for t in range(r):
                    torch.sum(ds * kb[:, None, :, t], 2, out=gq[b : b + nb, i : i + nq, t])
                    gk[b : b + nb, :, t] += (ds * qs[:, :, None, t]).sum(1)
        return gq.mul_(scale), gk, gv


PATHS = ("fused", "small", "padded")
SMALL_MAX = 2  # CPU: heads of dimension up to this run on SmallHeadAttention ...
SMALL_MIN_HEADS = 1024  # ... when a model has at least this many of them ...
SMALL_MAX_N = 64  # ... in sequences of at most this length
ALIGN = 8  # GPU fused kernels need head dimensions that are multiples of this


def attention_path(r: int, heads: int, N: int, device: torch.device) -> str:
    """Which kernel runs ``heads`` heads of dimension ``r`` over sequences of length ``N`` on ``device``.

    ``"fused"``: PyTorch's ``F.scaled_dot_product_attention`` on the heads as they are (its
    fused kernels keep no probabilities). ``"small"``: :class:`SmallHeadAttention`, on the CPU for
    ``r <= SMALL_MAX`` (1 and 2), at least ``SMALL_MIN_HEADS`` heads and ``N <= SMALL_MAX_N``,
    where the fused kernel's per-head overhead dominates; with fewer heads (the quick profiles'
    models), from ``r = 4`` on, or at longer sequences (where a block holds a single query and the
    small kernel's extra passes over the scores cost more than the fused kernel's overhead), the
    fused kernel is as fast or faster (measured in ``benchmarks/bench_heads.py``).
    ``"padded"``: on a GPU, heads zero-padded to a multiple of ``ALIGN`` coordinates, so that a
    fused kernel applies instead of the one that materialises every head's probabilities (zero
    coordinates add nothing to a score, the scale stays ``1 / sqrt(r)``, and the padded output
    coordinates are dropped).
    """
    if device.type == "cpu":
        small = r <= SMALL_MAX and heads >= SMALL_MIN_HEADS and N <= SMALL_MAX_N
        return "small" if small else "fused"
    return "padded" if r % ALIGN else "fused"


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, r: int, path: str) -> torch.Tensor:
    """Softmax attention (scale ``1 / sqrt(r)``) of ``q, k, v (B, N, E)`` split into ``E / r`` heads
    of ``r`` consecutive coordinates, by kernel ``path`` (:func:`attention_path`) -> ``(B, N, E)``.

    Every path computes the same function; under autocast the fused kernel runs.
    """
    B, N, E = q.shape
    H = E // r
    if path == "small" and not torch.is_autocast_enabled(q.device.type):
        return heads_first(SmallHeadAttention.apply(*(heads_last(t, r) for t in (q, k, v))))
    if path == "padded":
        width = -(-r // ALIGN) * ALIGN
        qp, kp, vp = (F.pad(t.view(B, N, H, r), (0, width - r)).transpose(1, 2) for t in (q, k, v))
        o = F.scaled_dot_product_attention(qp, kp, vp, scale=1 / math.sqrt(r))  # (B, H, N, width)
        return o[..., :r].transpose(1, 2).reshape(B, N, E)
    if path not in PATHS:
        raise ValueError(f"path must be one of {PATHS}; got {path!r}")
    # (B, N, E) -> (B, H, N, r): a strided view, no copy
    qg, kg, vg = (t.view(B, N, H, r).transpose(1, 2) for t in (q, k, v))
    o = F.scaled_dot_product_attention(qg, kg, vg)  # (B, H, N, r), scale 1/sqrt(r)
    return o.transpose(1, 2).reshape(B, N, E)
