"""Strassen attention (Kozachinskiy et al. 2025): one layer that attends to *pairs* of positions.

**Provenance.** The stored copy of the paper lost its display equations (eqs. 12-15 of the
NeurIPS version); the definition below is *reconstructed* from its text ("W^f, W^g, W^h,
V_1, V_2 in R^{d x d}, and ⊙ denotes the Hadamard product", the score of its Appendix B
constructions, and the proof that the layer costs ``O(n^omega d)``) and agrees with two
independent re-implementations and with a co-author's public implementation
(``tsteifer/strassen-attention``, ``learnModel.py``), which scales each of the three pairwise
products by ``head_dim ** -0.5`` -- the book's ``beta = d ** -0.5`` (the paper's own
constructions use unnormalised scores).

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

Also here: :class:`StrassenTransformer`, the model the chapter trains these layers in
(embedding table, attention layers with ``H`` heads -- Strassen, softmax as a control,
triangular or third-order --, residual, ReLU output MLP), stacked over ``S`` models like
:class:`attnlab.composition.transformer.SoftmaxTransformer`, with optional padding masks,
dropout outside attention and more than one layer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from attnlab._checks import check_choice, check_float, check_int, check_tensor
from attnlab.attention import attend
from attnlab.composition.third_order import third_order_attention
from attnlab.composition.transformer import StackedModel
from attnlab.composition.triangular import triangular_attention

ATTENTIONS = ("strassen", "softmax", "triangular", "third_order")
"""The attention layers of :class:`StrassenTransformer`: Strassen; softmax as the control; and the
paper's two other comparisons, triangular attention (grid inputs only,
:mod:`attnlab.composition.triangular`) and third-order attention
(:mod:`attnlab.composition.third_order`)."""

MAPS = {
    "strassen": ("W_f", "W_g", "W_h", "V_1", "V_2"),
    "softmax": ("W_q", "W_k", "W_v"),
    "triangular": ("W_q", "W_k", "V_1", "V_2"),
    "third_order": ("W_q", "W_k", "W_kt", "V_1", "V_2"),
}
"""Each attention's ``d x d`` maps per head, in the order they are created."""


# -- the layer --------------------------------------------------------------------------------


def _check_fghv(f, g, h, v, vt, beta, mask=None) -> float:
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
    if mask is not None:
        check_tensor("mask", mask, ("...", g.shape[-2]))
        if mask.dtype != torch.bool:
            raise ValueError(f"mask must be a bool tensor (..., T), got dtype {mask.dtype}")
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
    f: torch.Tensor,
    g: torch.Tensor,
    h: torch.Tensor,
    v: torch.Tensor,
    vt: torch.Tensor,
    *,
    beta: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Strassen attention by the definition: ``O(N T^2)`` scores, softmax over the ``T^2`` pairs.

    Shapes: ``f (..., N, r)`` queries; ``g, h (..., T, r)``; ``v, vt (..., T, dv)``;
    ``mask (..., T)`` bool (True = a real token; only pairs of two real tokens count) or None.
    Returns ``(..., N, dv)``. Bad shapes or ``beta`` raise ``ValueError`` naming the argument.
    """
    beta = _check_fghv(f, g, h, v, vt, beta, mask)
    s = strassen_scores(f, g, h, beta)  # (..., N, T, T)
    if mask is not None:
        pair = mask[..., :, None] & mask[..., None, :]  # (..., T, T)
        s = s.masked_fill(~pair[..., None, :, :], float("-inf"))
    a = s.flatten(-2).softmax(-1).view(s.shape)  # (..., N, T, T): a_ijk, sums to 1 over (j, k)
    pair = v[..., :, None, :] * vt[..., None, :, :]  # (..., T, T, dv): v_j ⊙ vt_k
    return torch.einsum("...ijk,...jkl->...il", a, pair)


def strassen_attention(
    f: torch.Tensor,
    g: torch.Tensor,
    h: torch.Tensor,
    v: torch.Tensor,
    vt: torch.Tensor,
    *,
    beta: float = 1.0,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Strassen attention by matrix products (the same numbers as the naive form).

    Shapes as :func:`strassen_attention_naive`. ``O(N T^2 dv)`` time by ``dv`` batched
    ``(N x T) @ (T x T)`` products, ``O(N T dv)`` memory. A padded token gets score ``-inf``
    in each of the three pairwise terms it enters, so its factor is an exact zero.
    """
    beta = _check_fghv(f, g, h, v, vt, beta, mask)
    A = beta * f @ g.mT  # (..., N, T)  <f_i, g_j>
    B = beta * g @ h.mT  # (..., T, T)  <g_j, h_k>
    C = beta * f @ h.mT  # (..., N, T)  <h_k, f_i>
    if mask is not None:
        pad = ~mask[..., None, :]  # (..., 1, T)
        A, C = A.masked_fill(pad, float("-inf")), C.masked_fill(pad, float("-inf"))
        B = B.masked_fill(pad | pad.mT, float("-inf"))
    X = torch.exp(A - A.amax(-1, keepdim=True))  # shift per query i: cancels in the ratio
    Y = torch.exp(B - B.amax((-2, -1), keepdim=True))  # one shift per sequence: cancels
    Z = torch.exp(C - C.amax(-1, keepdim=True))
    den = ((X @ Y) * Z).sum(-1)  # (..., N): sum_jk X_ij Y_jk Z_ik
    dv, N = v.shape[-1], X.shape[-2]
    XV = (X[..., None, :, :] * v.mT[..., :, None, :]).flatten(-3, -2)  # (..., dv N, T): X_ij v_jl
    M = (XV @ Y).unflatten(-2, (dv, N))  # (..., dv, N, T): sum_j X_ij v_jl Y_jk, one product per sequence
    num = (M * (Z[..., None, :, :] * vt.mT[..., :, None, :])).sum(-1)  # (..., dv, N)
    return num.mT / den[..., None]  # (..., N, dv)


# -- the model ------------------------------------------------------------------------------------


class StrassenTransformer(StackedModel):
    """``S`` stacked transformers with ``L`` layers of ``H`` Strassen heads (or another attention).

    Token ``i`` with symbol ``sigma`` is embedded as ``p(i, sigma)`` (a learned table, as in
    :class:`attnlab.composition.transformer.SoftmaxTransformer`); each attention layer adds
    ``W_O [head_1; ...; head_H]`` to the residual stream (every token, and at the last layer only
    the readout token(s)); a ReLU MLP gives the answer.

    Args:
        length: number of input tokens ``T`` (a square ``m^2`` for triangular attention: token
            ``i m + j`` is the edge ``(i, j)``).
        vocab: alphabet size.
        d: embedding dimension; every head's maps are ``d x d`` (:data:`MAPS`).
        heads: heads ``H``.
        mlp_width: hidden ReLU units (``0``: a linear readout).
        out: outputs per readout token.
        readout: one position (answers ``(S, B, out)``) or ``"all"`` (``(S, B, T, out)``).
        models: number ``S`` of independent stacked models.
        beta: multiplies every attention score.
        init_std: standard deviation of the initial weights (default ``d ** -0.5``).
        attention: one of :data:`ATTENTIONS`.
        mlp_widths: per-model hidden widths (as in :class:`SoftmaxTransformer`).
        layers: attention layers ``L``; the first layer's parameters are created first and keep
            their names, the deeper layers' (suffix ``_1``, ``_2``, ...) after the MLP's, so a
            one-layer model starts from the same numbers whatever the class gains.
        dropout: dropout rate on the embeddings and on each layer's output before the residual
            (outside the attention weights); active in training mode only.

    Checks, embedding table and MLP are shared with :class:`SoftmaxTransformer`
    (:class:`attnlab.composition.transformer.StackedModel`). ``forward(tokens, mask)`` takes an
    optional padding mask ``(B, T)`` or ``(S, B, T)`` (bool, True = a real token); a padded token
    is never attended to (for triangular attention: a padded middle element ``l``, read off the
    grid's diagonal), and its own output is whatever the layer gives -- the loss must skip it.
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
        layers: int = 1,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.attention = check_choice("attention", attention, ATTENTIONS)
        self.layers = check_int("layers", layers, low=1)
        self.dropout = check_float("dropout", dropout, low=0.0, high=0.99)
        std = self._setup(length, vocab, d, heads, mlp_width, out, models, beta, init_std, readout, ("all",))
        if attention == "triangular":
            m = math.isqrt(self.length)
            if m * m != self.length:
                raise ValueError(f"length must be a square m^2 for triangular attention, got {self.length}")
            self.grid = m
        if self.readout == "all":
            self.readout: int | None = None
        S, H = self.models, self.heads
        self.maps = MAPS[attention]
        for name in self.maps:
            self.register_parameter(name, nn.Parameter(torch.randn(S, H, d, d) * std))  # (S, H, d, d)
        self.W_o = nn.Parameter(torch.randn(S, d, H * d) * std / math.sqrt(H))  # (S, d, Hd)
        self._setup_mlp(std, mlp_widths)
        for layer in range(1, self.layers):  # created after the MLP: layer 1's numbers stay put
            for name in self.maps:
                self.register_parameter(f"{name}_{layer}", nn.Parameter(torch.randn(S, H, d, d) * std))
            self.register_parameter(
                f"W_o_{layer}", nn.Parameter(torch.randn(S, d, H * d) * std / math.sqrt(H))
            )

    def extra_repr(self) -> str:
        return (
            f"attention={self.attention}, length={self.length}, vocab={self.vocab}, d={self.d}, "
            f"heads={self.heads}, mlp_width={self.mlp_width}, out={self.out}, "
            f"readout={'all' if self.readout is None else self.readout}, models={self.models}, "
            f"beta={self.beta:g}, layers={self.layers}, dropout={self.dropout:g}"
        )

    def _param(self, name: str, layer: int) -> torch.Tensor:
        return getattr(self, name if layer == 0 else f"{name}_{layer}")

    def heads_out(
        self, x: torch.Tensor, queries: torch.Tensor, mask: torch.Tensor | None = None, layer: int = 0
    ) -> torch.Tensor:
        """Concatenated heads ``(S, B, N, H d)``: queries ``(S, B, N, d)`` over tokens ``x (S, B, T, d)``.

        ``mask`` ``(S, B, T)`` bool or None. Triangular attention's queries are the edges
        ``(i, l)`` themselves, so it computes every edge from ``x`` and, when ``N < T``, returns
        the readout token's.
        """

        def proj(z, name):  # (S, B, L, d) -> (S, B, H, L, d)
            return torch.einsum("sbld,shed->sbhle", z, self._param(name, layer))

        m = None if mask is None else mask[:, :, None, :]  # (S, B, 1, T): broadcast over heads
        if self.attention == "strassen":
            f, g, h = proj(queries, "W_f"), proj(x, "W_g"), proj(x, "W_h")
            out = strassen_attention(f, g, h, proj(x, "V_1"), proj(x, "V_2"), beta=self.beta, mask=m)
        elif self.attention == "third_order":
            q, k, kt = proj(queries, "W_q"), proj(x, "W_k"), proj(x, "W_kt")
            out = third_order_attention(q, k, kt, proj(x, "V_1"), proj(x, "V_2"), beta=self.beta, mask=m)
        elif self.attention == "triangular":
            g = self.grid

            def grid(name):  # (S, B, H, T, d) -> (S, B, H, m, m, d)
                return proj(x, name).unflatten(-2, (g, g))

            diag = None if m is None else m.unflatten(-1, (g, g)).diagonal(dim1=-2, dim2=-1)  # (S, B, 1, m)
            out = triangular_attention(
                grid("W_q"), grid("W_k"), grid("V_1"), grid("V_2"), beta=self.beta, mask=diag
            ).flatten(-3, -2)  # (S, B, H, T, d)
            if queries.shape[2] != x.shape[2]:
                out = out[:, :, :, self.readout : self.readout + 1]
        else:
            km = None if m is None else m[:, :, :, None, :]  # (S, B, 1, 1, T)
            out, _ = attend(proj(queries, "W_q"), proj(x, "W_k"), proj(x, "W_v"), beta=self.beta, mask=km)
        S, B, H, N, d = out.shape  # (S, B, H, N, d)
        return out.permute(0, 1, 3, 2, 4).reshape(S, B, N, H * d)

    def _mask(self, mask: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
        if mask is None:
            return None
        check_tensor("mask", mask, ("...", self.length))
        if mask.dtype != torch.bool or mask.dim() not in (2, 3):
            raise ValueError(
                f"mask must be a bool tensor (B, T) or (S, B, T), got {mask.dtype} {tuple(mask.shape)}"
            )
        return mask.expand(*x.shape[:3])

    def residual(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Residual stream after the last layer at the readout token(s): ``(S, B, N, d)``."""
        x = self.embed_tokens(tokens)  # (S, B, T, d)
        mask = self._mask(mask, x)
        if self.dropout:
            x = F.dropout(x, self.dropout, self.training)
        for layer in range(self.layers):
            last = layer == self.layers - 1
            q = x if (self.readout is None or not last) else x[:, :, self.readout : self.readout + 1]
            update = torch.einsum(
                "sbnk,sdk->sbnd", self.heads_out(x, q, mask, layer), self._param("W_o", layer)
            )
            if self.dropout:
                update = F.dropout(update, self.dropout, self.training)
            x = q + update
        return x

    def forward(self, tokens: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(S, B, out)`` at one readout token, or ``(S, B, T, out)`` with ``readout="all"``."""
        y = self.mlp(self.residual(tokens, mask))
        return y if self.readout is None else y[:, :, 0]
