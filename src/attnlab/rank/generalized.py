"""Generalised multi-head attention ``A_{H,r}``: heads that see the query through a rank-``r`` map.

The lower bound of Amsel, Yehudai and Bruna (2024) holds for a class much larger than
dot-product attention (their summaries mention biases, RoPE, ALiBi and non-linear score maps).
We could not read the paper's own formula for the class. What the book's lower-bound
argument (page 11) needs is only that each head sees the *query* through a rank-``r`` map:

    A(X, y) = sum_h  M_h X phi_h(X, W_h y),     W_h: R^d -> R^r,  M_h: R^d -> R^d,

with ``phi_h`` any map onto a probability vector over ``[N]``. Ordinary rank-``r`` heads are
in it (their scores ``<W_K x_i, W_Q y>`` see ``y`` through ``W_Q``).

:class:`GeneralizedAttention` implements the sub-family in which the points are seen through
the *same* projection as the query, ``phi_h(W_h X, W_h y)`` (a score map on the projections,
then softmax or hardmax; :func:`bilinear_scores` gives ``beta <W_h x_i, W_h y>``,
:func:`biased_scores` ``<W_h x_i, W_h y - v_h>``). That is all the constructions of this book
need (:mod:`attnlab.rank.constructions`: full-rank heads with ``W = I``, rank-1 heads with
``q = k``), and any lower bound for the larger class holds for it. Ordinary heads with
``W_Q != W_K`` are :class:`attnlab.attention.LowRankAttention`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from attnlab._checks import check_choice, check_int, check_tensor
from attnlab.attention import NORMALIZATIONS, normalize

# (projected points (B, H, N, r), projected query (B, H, r)) -> scores (B, H, N)
ScoreMap = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def bilinear_scores(beta: float = 1.0) -> ScoreMap:
    """Score map ``beta * <z_h, w_h>``: dot-product attention on the rank-``r`` projections."""

    def score(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        return beta * torch.einsum("bhnr,bhr->bhn", px, py)

    return score


def biased_scores(biases: torch.Tensor) -> ScoreMap:
    """Score map ``<z_h, w_h - v_h>``: a bias ``v_h`` inside head ``h``'s projected query.

    ``biases (H, r)``, one per head (a full-rank head has ``r = d``, so ``v_h`` is a query bias).
    """
    check_tensor("biases", biases, ("H", "r"))

    def score(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bhnr,bhr->bhn", px, py - biases[None])

    return score


class GeneralizedAttention(nn.Module):
    """Heads of the class ``A_{H,r}`` that see points and query through one rank-``r`` map ``W_h``.

    Args:
        d: input dimension.
        rank: rank ``r`` of every head's projection ``W_h``, ``1 <= r <= d``.
        heads: number of heads ``H >= 1``.
        score: the score map (default :func:`bilinear_scores` ``(1.0)``); any callable taking
            ``(W_h X: (B, H, N, r), W_h y: (B, H, r))`` and returning ``(B, H, N)``.
        normalization: ``"softmax"`` or ``"hardmax"``.

    Parameters ``W (H, r, d)`` and ``M (H, d, d)`` can be set directly (``.W.data``, ``.M.data``)
    to build constructions. ``forward(x (B, N, d), y (B, d)) -> (B, d)``; with
    ``need_weights=True`` also the probabilities ``(B, H, N)``.
    """

    def __init__(
        self,
        d: int,
        rank: int,
        heads: int = 1,
        *,
        score: ScoreMap | None = None,
        normalization: str = "softmax",
    ) -> None:
        super().__init__()
        self.d = check_int("d", d, low=1)
        self.rank = check_int("rank", rank, low=1, high=self.d)
        self.heads = check_int("heads", heads, low=1)
        self.normalization = check_choice("normalization", normalization, NORMALIZATIONS)
        self.score = score if score is not None else bilinear_scores(1.0)
        self.W = nn.Parameter(torch.randn(heads, rank, d) / d**0.5)  # (H, r, d)
        self.M = nn.Parameter(torch.eye(d).expand(heads, d, d) / heads)  # (H, d, d)

    def probabilities(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``phi_h(W_h X, W_h y)`` for every head: ``(B, H, N)``."""
        check_tensor("x", x, ("B", "N", self.d))
        check_tensor("y", y, (x.shape[0], self.d))
        px = torch.einsum("hrd,bnd->bhnr", self.W, x)  # (B, H, N, r)
        py = torch.einsum("hrd,bd->bhr", self.W, y)  # (B, H, r)
        return normalize(self.score(px, py), self.normalization)  # (B, H, N)

    def forward(
        self, x: torch.Tensor, y: torch.Tensor, *, need_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        p = self.probabilities(x, y)  # (B, H, N)
        picked = torch.einsum("bhn,bnd->bhd", p, x)  # X phi_h: (B, H, d)
        out = torch.einsum("hed,bhd->be", self.M, picked)  # sum_h M_h X phi_h: (B, d)
        return (out, p) if need_weights else out
