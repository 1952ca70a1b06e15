"""Third-order attention (Sanford, Hsu and Telgarsky 2023): a query attends to pairs of tokens.

Per head, for query ``x_i`` and tokens ``x_j, x_k``::

    q_i = W^q x_i,  k_j = W^k x_j,  kt_k = W^k' x_k,  v_j = V_1 x_j,  vt_k = V_2 x_k
    s_ijk = beta <q_i, k_j ⊙ kt_k> = beta sum_r q_ir k_jr kt_kr
    a_ijk = exp(s_ijk) / sum_{j', k'} exp(s_ij'k')          (softmax over all T^2 pairs)
    out_i = sum_{j, k} a_ijk (v_j ⊙ vt_k)

**Provenance.** The trilinear score and the Hadamard value of a pair are the form the
Strassen-attention paper states for "third-order" attention (as quoted in the book's issue);
Sanford et al. define a tensor attention of this kind for Match3. Neither paper's display
equations could be read in the stored text, so the exact parametrisation (one key map per
pair slot, the Hadamard value) is our reading, not a confirmed copy.

Unlike Strassen attention the score does not factor into pairwise terms, so nothing cheaper
than the ``T^2`` scores per query is known: ``O(N T^2 r)`` time. ``mask`` (bool, ``(..., T)``,
True = a real token) keeps the pairs of two real tokens.

:func:`third_order_attention_naive` materialises the pair values ``(..., T, T, dv)``: the
definition, the test reference. :func:`third_order_attention` contracts the weights with
``vt`` first and ``v`` second, never forming the pair values: ``O(N T^2 (r + dv))`` time,
``O(N T^2)`` memory.
"""

from __future__ import annotations

import torch

from attnlab._checks import check_float, check_tensor


def _check(q, k, kt, v, vt, beta, mask) -> float:
    check_tensor("q", q, ("...", "N", "r"))
    check_tensor("k", k, ("...", "T", q.shape[-1]))
    check_tensor("kt", kt, ("...", k.shape[-2], q.shape[-1]))
    check_tensor("v", v, ("...", k.shape[-2], "dv"))
    check_tensor("vt", vt, ("...", k.shape[-2], v.shape[-1]))
    if mask is not None:
        check_tensor("mask", mask, ("...", k.shape[-2]))
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor (..., T), got dtype {mask.dtype}")
    return check_float("beta", beta, low=0.0)


def third_order_scores(q: torch.Tensor, k: torch.Tensor, kt: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """``s_ijk = beta <q_i, k_j ⊙ kt_k>``: ``(..., N, T, T)``."""
    return beta * torch.einsum("...ir,...jr,...kr->...ijk", q, k, kt)


def _masked(s: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return s
    pair = mask[..., :, None] & mask[..., None, :]  # (..., T, T): both tokens real
    return s.masked_fill(~pair[..., None, :, :], float("-inf"))


def third_order_attention_naive(
    q: torch.Tensor,
    k: torch.Tensor,
    kt: torch.Tensor,
    v: torch.Tensor,
    vt: torch.Tensor,
    *,
    beta: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Third-order attention by the definition, pair values materialised.

    Shapes: ``q (..., N, r)``; ``k, kt (..., T, r)``; ``v, vt (..., T, dv)``; ``mask (..., T)``.
    Returns ``(..., N, dv)``.
    """
    beta = _check(q, k, kt, v, vt, beta, mask)
    s = _masked(third_order_scores(q, k, kt, beta), mask)  # (..., N, T, T)
    a = s.flatten(-2).softmax(-1).reshape(s.shape)  # sums to 1 over the pairs (j, k)
    pair = v[..., :, None, :] * vt[..., None, :, :]  # (..., T, T, dv): v_j ⊙ vt_k
    return torch.einsum("...ijk,...jkl->...il", a, pair)


def third_order_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    kt: torch.Tensor,
    v: torch.Tensor,
    vt: torch.Tensor,
    *,
    beta: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Third-order attention without the pair values (the same numbers as the naive form)."""
    beta = _check(q, k, kt, v, vt, beta, mask)
    s = _masked(third_order_scores(q, k, kt, beta), mask)  # (..., N, T, T)
    a = s.flatten(-2).softmax(-1).reshape(s.shape)
    w = a @ vt[..., None, :, :]  # (..., N, T, dv): sum_k a_ijk vt_kl, for every j
    return (w * v[..., None, :, :]).sum(-2)  # (..., N, dv): sum_j v_jl (...)
