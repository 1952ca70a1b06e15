"""Triangular attention (Bergen, O'Donnell and Bahdanau 2021, the edge transformer).

The tokens are the edges ``(i, j)`` of an ``m x m`` grid. Edge ``(i, j)`` attends over the
middle element ``l``, to the *triangle* of the two edges ``(i, l)`` and ``(l, j)``; per head::

    q_il = W^q x_il,  k_lj = W^k x_lj,  v_ilj = (V_1 x_il) ⊙ (V_2 x_lj)
    a_ijl = exp(beta <q_il, k_lj>) / sum_{l'} exp(beta <q_il', k_l'j>)     (softmax over l)
    out_ij = sum_l a_ijl v_ilj

**Provenance.** Bergen et al.'s stored text gives the triangle picture (an update of edge
``(1, 2)`` mixes values computed for each triangle ``(1, l, 2)`` with weights ``alpha_1l2``);
the score ``<q_il, k_lj>`` and the Hadamard value are the form the Strassen-attention paper
states for its comparison, and a Strassen co-author's public code (``tsteifer/strassen-attention``,
``learnModel.py``, its edge attention) computes this form: left and right keys of edges
``(i, l)`` and ``(l, j)`` scored by a dot product scaled by ``head_dim ** -0.5``, softmax over
``l``, values multiplied coordinatewise. Neither paper's display equations survive in the
stored texts, so the form is confirmed by that code, not by the equations.

``mask`` (bool, ``(..., m)``, True = a real element) removes the padded middle elements ``l``
of a grid padded to ``m``; every edge, padded or not, keeps at least one real ``l`` as long as
one element is real, so no row of the softmax is empty.

:func:`triangular_attention_naive` loops over the edges ``(i, j)`` one at a time, the
definition as written: the test reference. :func:`triangular_attention` computes all edges
with two ``einsum`` contractions, ``O(m^3 d)`` time.
"""

from __future__ import annotations

import torch

from attnlab._checks import check_float, check_tensor


def _check(q, k, v1, v2, beta, mask) -> float:
    check_tensor("q", q, ("...", "m", "m", "r"))
    m = q.shape[-2]
    if q.shape[-3] != m:
        raise ValueError(f"q must be a square grid (..., m, m, r), got {tuple(q.shape)}")
    check_tensor("k", k, ("...", m, m, q.shape[-1]))
    check_tensor("v1", v1, ("...", m, m, "dv"))
    check_tensor("v2", v2, ("...", m, m, v1.shape[-1]))
    if mask is not None:
        check_tensor("mask", mask, ("...", m))
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor (..., {m}), got dtype {mask.dtype}")
    return check_float("beta", beta, low=0.0)


def triangular_scores(q: torch.Tensor, k: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """``s_ijl = beta <q_il, k_lj>``: ``(..., m, m, m)`` indexed ``[i, j, l]``."""
    return beta * torch.einsum("...ilr,...ljr->...ijl", q, k)


def triangular_attention_naive(
    q: torch.Tensor,
    k: torch.Tensor,
    v1: torch.Tensor,
    v2: torch.Tensor,
    *,
    beta: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Triangular attention edge by edge, as defined (``O(m^2)`` Python steps; tests only).

    Shapes: ``q, k (..., m, m, r)``, ``v1, v2 (..., m, m, dv)``, ``mask (..., m)`` or None.
    Returns ``(..., m, m, dv)``.
    """
    beta = _check(q, k, v1, v2, beta, mask)
    m = q.shape[-2]
    out = torch.empty(*q.shape[:-1], v1.shape[-1], dtype=v1.dtype, device=v1.device)
    for i in range(m):
        for j in range(m):
            s = beta * (q[..., i, :, :] * k[..., :, j, :]).sum(-1)  # (..., m) over l: <q_il, k_lj>
            if mask is not None:
                s = s.masked_fill(~mask, float("-inf"))
            a = s.softmax(-1)  # (..., m)
            value = v1[..., i, :, :] * v2[..., :, j, :]  # (..., m, dv): v1_il ⊙ v2_lj
            out[..., i, j, :] = (a[..., None] * value).sum(-2)
    return out


def triangular_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v1: torch.Tensor,
    v2: torch.Tensor,
    *,
    beta: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Triangular attention for every edge at once (the same numbers as the naive form).

    Shapes as :func:`triangular_attention_naive`; ``O(m^3 (r + dv))`` time, ``O(m^3)`` scores.
    """
    beta = _check(q, k, v1, v2, beta, mask)
    s = triangular_scores(q, k, beta)  # (..., i, j, l)
    if mask is not None:
        s = s.masked_fill(~mask[..., None, None, :], float("-inf"))
    a = s.softmax(-1)  # (..., m, m, m): a_ijl
    return torch.einsum("...ijl,...ild,...ljd->...ijd", a, v1, v2)  # (..., m, m, dv)
