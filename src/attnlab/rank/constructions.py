"""Heads with explicit weights that solve the rank-versus-heads tasks (Amsel, Yehudai and Bruna 2024).

All are built from :class:`attnlab.rank.generalized.GeneralizedAttention` (the class ``A_{H,r}``)
with hardmax, so that they compute their targets exactly:

* :func:`full_rank_head`: one head of full rank, ``W = I``, ``M = I``: the nearest neighbour
  ``x_{argmax_i <x_i, y>}`` (with softmax and score ``beta <x_i, y>``, its approximation; the
  error of that one is :func:`attnlab.rank.theory.full_rank_construction_error`).
* :func:`biased_full_rank_layer`: ``m`` full-rank heads, head ``j`` scoring ``<x_i, y - v_j>``,
  output maps ``I / m``: the biased target :func:`attnlab.rank.tasks.biased_neighbor_target`.
* :class:`TwoLayerVote`: two layers of rank-1 heads for ``N = 2`` (our circuit after the
  authors' majority-vote idea). Tokens are ``(x_i, p_i, 0)`` with positional coordinate
  ``p_1 = +1``, ``p_2 = -1`` and a scratch coordinate; the query token is ``(y, 0, 0)``.
  Layer 1: ``H`` rank-1 heads, head ``h`` projecting with ``W_h = (q_h, 0, 0)^T`` (so it votes
  for ``argmax_i <q_h, y><q_h, x_i>``) and writing ``M_h = e_scratch e_pos^T / H``: through the
  residual the query's scratch coordinate becomes the mean vote ``m``. Layer 2: one rank-1 head
  with ``W = (e_pos + e_scratch)^T``, so ``x_i`` scores ``p_i m``, and ``M`` copying the first
  ``d`` coordinates: it returns the point the majority chose.
"""

from __future__ import annotations

import torch
from torch import nn

from attnlab._checks import check_float, check_int, check_tensor
from attnlab.rank.generalized import GeneralizedAttention, biased_scores, bilinear_scores

__all__ = ["TwoLayerVote", "biased_full_rank_layer", "full_rank_head"]


@torch.no_grad()
def full_rank_head(
    d: int,
    *,
    beta: float = 1.0,
    normalization: str = "hardmax",
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> GeneralizedAttention:
    """One full-rank head with ``W = I`` (rank ``d``), ``M = I`` and scores ``beta <x_i, y>``.

    With hardmax it returns the nearest neighbour ``x_{argmax_i <x_i, y>}`` exactly; with
    softmax it approaches it as ``beta`` grows. ``forward(x (B, N, d), y (B, d)) -> (B, d)``.
    """
    d = check_int("d", d, low=1)
    beta = check_float("beta", beta, low=0.0, strict_low=True)
    head = GeneralizedAttention(d, rank=d, heads=1, score=bilinear_scores(beta), normalization=normalization)
    head = head.to(device=device, dtype=dtype)
    head.W.copy_(torch.eye(d)[None])  # (1, d, d)
    head.M.copy_(torch.eye(d)[None])
    return head


@torch.no_grad()
def biased_full_rank_layer(biases: torch.Tensor) -> GeneralizedAttention:
    """``m`` full-rank hardmax heads computing the biased target ``mean_j x_{argmax_i <x_i, y - v_j>}``.

    Head ``j`` has ``W_j = I``, the query bias ``v_j`` inside its score (:func:`biased_scores`)
    and ``M_j = I / m``. ``biases (m, d)`` fixes the layer's device and dtype.
    """
    check_tensor("biases", biases, ("m", "d"))
    m, d = biases.shape
    layer = GeneralizedAttention(d, rank=d, heads=m, score=biased_scores(biases), normalization="hardmax")
    layer = layer.to(biases)
    eye = torch.eye(d, dtype=biases.dtype, device=biases.device)
    layer.W.copy_(eye.expand(m, d, d))  # (m, d, d)
    layer.M.copy_(eye.expand(m, d, d) / m)  # 1 / m in the biases' precision
    return layer


class TwoLayerVote(nn.Module):
    """Two layers of rank-1 hardmax heads that return the majority vote of ``H`` random votes (``N = 2``).

    Args:
        qs: the first layer's directions ``(H, d)``, ``H`` odd (no ties); they fix the module's
            device and dtype.

    ``forward(x (B, 2, d), y (B, d)) -> (B, d)``: the point (``x_1`` or ``x_2``) that most heads
    vote for, head ``h`` voting for ``argmax_i <q_h, y><q_h, x_i>``. See the module docstring
    for the weights.
    """

    def __init__(self, qs: torch.Tensor) -> None:
        super().__init__()
        check_tensor("qs", qs, ("H", "d"))
        H, d = qs.shape
        if H % 2 == 0:
            raise ValueError(f"qs must have an odd number of rows (heads), so the vote has no ties; got {H}")
        self.d = d
        D, pos, scratch = d + 2, d, d + 1  # token width, positional and scratch coordinates
        self.layer1 = GeneralizedAttention(D, rank=1, heads=H, normalization="hardmax").to(qs)
        self.layer2 = GeneralizedAttention(D, rank=1, heads=1, normalization="hardmax").to(qs)
        with torch.no_grad():
            self.layer1.W.zero_()
            self.layer1.W[:, 0, :d] = qs  # (H, 1, D): head h sees <q_h, .>
            self.layer1.M.zero_()
            self.layer1.M[:, scratch, pos] = 1.0 / H  # writes p_i / H into the scratch coordinate
            self.layer2.W.zero_()
            self.layer2.W[0, 0, pos] = self.layer2.W[0, 0, scratch] = 1.0
            self.layer2.M.zero_()
            self.layer2.M[0, :d, :d] = torch.eye(d)  # copies the chosen point
        self.register_buffer("pos", torch.tensor([1.0, -1.0]).to(qs))  # p_1, p_2

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, ("B", 2, self.d))
        check_tensor("y", y, (x.shape[0], self.d))
        B = x.shape[0]
        xt = torch.cat([x, self.pos.expand(B, 2)[..., None], x.new_zeros(B, 2, 1)], -1)  # (B, 2, d + 2)
        yt = torch.cat([y, y.new_zeros(B, 2)], -1)  # (B, d + 2)
        yt = yt + self.layer1(xt, yt)  # residual: the scratch coordinate holds the mean vote
        return self.layer2(xt, yt)[:, : self.d]  # (B, d)
