"""Strassen attention (Kozachinskiy et al. 2025): one layer that attends to *pairs* of positions.

**Provenance.** The stored copy of the paper lost its display equations (eqs. 12-15 of the
NeurIPS version); the definition below is *reconstructed* from its text ("W^f, W^g, W^h,
V_1, V_2 in R^{d x d}, and ⊙ denotes the Hadamard product", the score of its Appendix B
constructions, and the proof that the layer costs ``O(n^omega d)``) and agrees with two
independent re-implementations. The scale ``beta`` on the scores is our choice (the paper's
is unconfirmed; its constructions use unnormalised scores).

For queries ``x_i`` and tokens ``x_j``, per head::

    f_i = W^f x_i,  g_j = W^g x_j,  h_k = W^h x_k,  v_j = V_1 x_j,  vt_k = V_2 x_k
    s_ijk = beta (<f_i, g_j> + <g_j, h_k> + <h_k, f_i>)
    a_ijk = exp(s_ijk) / sum_{j', k'} exp(s_ij'k')          (softmax over all T^2 pairs)
    out_i = sum_{j, k} a_ijk (v_j ⊙ vt_k)

:func:`strassen_attention_naive` materialises the ``(N, T, T)`` scores: the test reference.
:func:`strassen_attention` uses the factorisation ``e^{s_ijk} = X_ij Y_jk Z_ik`` with
``X = e^{beta f g^T}``, ``Y = e^{beta g h^T}``, ``Z = e^{beta f h^T}``: the denominator is
``sum_k (X Y)_ik Z_ik`` and, per value coordinate ``l``, the numerator is
``sum_k ((X diag v_l) Y)_ik vt_kl Z_ik`` -- matrix products, ``O(N T^2 d)`` time and
``O(N T d)`` memory instead of ``O(N T^2)`` scores (with a fast matrix product it would be
``O(T^omega d)``: the paper's Theorem 4.1). Each of ``X, Z`` is shifted by its row maximum
and ``Y`` by its global maximum before exponentiating; the shifts cancel in the ratio.
They prevent overflow; the product can still underflow when the three maxima are far from
any one pair (a total score ~80 below the sum of the maxima in float32, ~700 in float64).

Also here: :class:`StrassenTransformer`, the one-layer model (embedding table, one attention
layer with ``H`` heads -- Strassen, or softmax as a control --, residual, ReLU output MLP),
stacked over ``S`` models like :class:`attnlab.composition.transformer.SoftmaxTransformer`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attnlab._checks import check_choice, check_float, check_tensor
from attnlab.attention import attend
from attnlab.composition.transformer import StackedModel

ATTENTIONS = ("strassen", "softmax")
"""The attention layers of :class:`StrassenTransformer`: Strassen, or softmax as the control."""


# -- the layer --------------------------------------------------------------------------------


def _check_fghv(f, g, h, v, vt, beta) -> float:
    check_tensor("f", f, ("...", "N", "r"))
    check_tensor("g", g, ("...", "T", f.shape[-1]))
    check_tensor("h", h, ("...", g.shape[-2], f.shape[-1]))
    check_tensor("v", v, ("...", g.shape[-2], "dv"))
    check_tensor("vt", vt, ("...", g.shape[-2], v.shape[-1]))
    try:
        torch.broadcast_shapes(*(t.shape[:-2] for t in (f, g, h, v, vt)))
    except RuntimeError:
        raise ValueError(
            "f, g, h, v and vt must have broadcastable leading (batch) dimensions, got "
            + ", ".join(str(tuple(t.shape[:-2])) for t in (f, g, h, v, vt))
        ) from None
    return check_float("beta", beta, low=0.0)


def strassen_scores(f: torch.Tensor, g: torch.Tensor, h: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """All pair scores ``s_ijk = beta(<f_i,g_j> + <g_j,h_k> + <h_k,f_i>)``: ``(..., N, T, T)``.

    ``f (..., N, r)``, ``g, h (..., T, r)``; each dot product is summed coordinate by coordinate.
    """
    fg = (f[..., :, None, :] * g[..., None, :, :]).sum(-1)  # (..., N, T)  <f_i, g_j>
    gh = (g[..., :, None, :] * h[..., None, :, :]).sum(-1)  # (..., T, T)  <g_j, h_k>
    hf = (f[..., :, None, :] * h[..., None, :, :]).sum(-1)  # (..., N, T)  <h_k, f_i>
    return beta * (fg[..., :, :, None] + gh[..., None, :, :] + hf[..., :, None, :])  # (..., N, T, T)


def strassen_attention_naive(
    f: torch.Tensor, g: torch.Tensor, h: torch.Tensor, v: torch.Tensor, vt: torch.Tensor, *, beta: float = 1.0
) -> torch.Tensor:
    """Strassen attention by the definition: ``O(N T^2)`` scores, softmax over the ``T^2`` pairs.

    Shapes: ``f (..., N, r)`` queries; ``g, h (..., T, r)``; ``v, vt (..., T, dv)``.
    Returns ``(..., N, dv)``. Bad shapes or ``beta`` raise ``ValueError`` naming the argument.
    """
    beta = _check_fghv(f, g, h, v, vt, beta)
    s = strassen_scores(f, g, h, beta)  # (..., N, T, T)
    a = s.flatten(-2).softmax(-1).view(s.shape)  # (..., N, T, T): a_ijk, sums to 1 over (j, k)
    pair = v[..., :, None, :] * vt[..., None, :, :]  # (..., T, T, dv): v_j ⊙ vt_k
    return torch.einsum("...ijk,...jkl->...il", a, pair)


def strassen_attention(
    f: torch.Tensor, g: torch.Tensor, h: torch.Tensor, v: torch.Tensor, vt: torch.Tensor, *, beta: float = 1.0
) -> torch.Tensor:
    """Strassen attention by matrix products (the same numbers as the naive form).

    Shapes as :func:`strassen_attention_naive`. ``O(N T^2 dv)`` time by ``dv`` batched
    ``(N x T) @ (T x T)`` products, ``O(N T dv)`` memory.
    """
    beta = _check_fghv(f, g, h, v, vt, beta)
    A = beta * f @ g.mT  # (..., N, T)  <f_i, g_j>
    B = beta * g @ h.mT  # (..., T, T)  <g_j, h_k>
    C = beta * f @ h.mT  # (..., N, T)  <h_k, f_i>
    X = torch.exp(A - A.amax(-1, keepdim=True))  # shift per query i: cancels in the ratio
    Y = torch.exp(B - B.amax((-2, -1), keepdim=True))  # one shift per sequence: cancels
    Z = torch.exp(C - C.amax(-1, keepdim=True))
    den = ((X @ Y) * Z).sum(-1)  # (..., N): sum_jk X_ij Y_jk Z_ik
    dv, N = v.shape[-1], X.shape[-2]
    XV = (X[..., None, :, :] * v.mT[..., :, None, :]).flatten(-3, -2)  # (..., dv N, T): X_ij v_jl
    M = (XV @ Y).unflatten(-2, (dv, N))  # (..., dv, N, T): sum_j X_ij v_jl Y_jk, one product per sequence
    num = (M * (Z[..., None, :, :] * vt.mT[..., :, None, :])).sum(-1)  # (..., dv, N)
    return num.mT / den[..., None]  # (..., N, dv)


# -- the one-layer model ------------------------------------------------------------------------


class StrassenTransformer(StackedModel):
    """``S`` stacked one-layer transformers with ``H`` Strassen heads (or softmax heads).

    Token ``i`` with symbol ``sigma`` is embedded as ``p(i, sigma)`` (a learned table, as in
    :class:`attnlab.composition.transformer.SoftmaxTransformer`); one attention layer adds
    ``W_O [head_1; ...; head_H]`` to the residual stream at the readout token(s); a ReLU MLP
    gives the answer.

    Args:
        length: number of input tokens ``T``.
        vocab: alphabet size.
        d: embedding dimension; every head's five maps ``W^f, W^g, W^h, V_1, V_2`` are ``d x d``.
        heads: heads ``H``.
        mlp_width: hidden ReLU units (``0``: a linear readout).
        out: outputs per readout token.
        readout: one position (answers ``(S, B, out)``) or ``"all"`` (``(S, B, T, out)``).
        models: number ``S`` of independent stacked models.
        beta: multiplies every attention score.
        init_std: standard deviation of the initial weights (default ``d ** -0.5``).
        attention: ``"strassen"``, or ``"softmax"`` for a standard layer of the same shape
            (``W_q, W_k, W_v``) -- the control in the book's comparisons.
        mlp_widths: per-model hidden widths (as in :class:`SoftmaxTransformer`).

    Checks, embedding table and MLP are shared with :class:`SoftmaxTransformer`
    (:class:`attnlab.composition.transformer.StackedModel`).
    """

    def __init__(
        self,
        length: int,
        vocab: int,
        d: int,
        heads: int = 1,
        mlp_width: int = 0,
        out: int = 1,
        *,
        readout: int | str = -1,
        models: int = 1,
        beta: float = 1.0,
        init_std: float | None = None,
        attention: str = "strassen",
        mlp_widths: list[int] | None = None,
    ) -> None:
        super().__init__()
        self.attention = check_choice("attention", attention, ATTENTIONS)
        std = self._setup(length, vocab, d, heads, mlp_width, out, models, beta, init_std, readout, ("all",))
        if self.readout == "all":
            self.readout: int | None = None
        S, H = self.models, self.heads
        names = ("W_f", "W_g", "W_h", "V_1", "V_2") if attention == "strassen" else ("W_q", "W_k", "W_v")
        self.maps = names
        for name in names:
            self.register_parameter(name, nn.Parameter(torch.randn(S, H, d, d) * std))  # (S, H, d, d)
        self.W_o = nn.Parameter(torch.randn(S, d, H * d) * std / math.sqrt(H))  # (S, d, Hd)
        self._setup_mlp(std, mlp_widths)

    def extra_repr(self) -> str:
        return (
            f"attention={self.attention}, length={self.length}, vocab={self.vocab}, d={self.d}, "
            f"heads={self.heads}, mlp_width={self.mlp_width}, out={self.out}, "
            f"readout={'all' if self.readout is None else self.readout}, models={self.models}, "
            f"beta={self.beta:g}"
        )

    def heads_out(self, x: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        """Concatenated heads ``(S, B, N, H d)``: queries ``(S, B, N, d)`` over tokens ``x (S, B, T, d)``."""

        def proj(z, name):  # (S, B, L, d) -> (S, B, H, L, d)
            return torch.einsum("sbld,shed->sbhle", z, getattr(self, name))

        if self.attention == "strassen":
            f, g, h = proj(queries, "W_f"), proj(x, "W_g"), proj(x, "W_h")
            out = strassen_attention(f, g, h, proj(x, "V_1"), proj(x, "V_2"), beta=self.beta)
        else:
            out, _ = attend(proj(queries, "W_q"), proj(x, "W_k"), proj(x, "W_v"), beta=self.beta)
        S, B, H, N, d = out.shape  # (S, B, H, N, d)
        return out.permute(0, 1, 3, 2, 4).reshape(S, B, N, H * d)

    def residual(self, tokens: torch.Tensor) -> torch.Tensor:
        """Residual stream after the layer at the readout token(s): ``(S, B, N, d)``."""
        x = self.embed_tokens(tokens)  # (S, B, T, d)
        q = x if self.readout is None else x[:, :, self.readout : self.readout + 1]  # (S, B, N, d)
        return q + torch.einsum("sbnk,sdk->sbnd", self.heads_out(x, q), self.W_o)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(S, B, out)`` at one readout token, or ``(S, B, T, out)`` with ``readout="all"``."""
        y = self.mlp(self.residual(tokens))
        return y if self.readout is None else y[:, :, 0]
