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
stacked over ``S`` models like :class:`attnlab.composition.transformer.SoftmaxTransformer`;
binary-relation composition (:func:`brc_labels`); :func:`comp_construction`, one Strassen
layer of constant size solving Comp_n; the tasks' samplers (:func:`task_batch`); and page 25's
training runs (:func:`page_configs`, :func:`planned_work`), trained by the chapter's one loop,
:func:`attnlab.composition.training.train`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from torch import nn

from attnlab._checks import check_choice, check_float, check_int, check_tensor
from attnlab.attention import attend
from attnlab.composition.tasks import comp_labels, comp_task, match3_labels
from attnlab.composition.transformer import StackedModel
from attnlab.runtime.device import default_device

ATTENTIONS = ("strassen", "softmax")
TASKS = ("comp", "match3", "brc")


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


# -- binary relation composition ----------------------------------------------------------------


def brc_labels(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """``(B o A)_ij = OR_k (A_ik AND B_kj)`` for relations ``A, B (..., m, m)`` (0/1 or bool): bool.

    By brute force over the middle element ``k`` (``O(m^3)``; no matrix product).
    """
    check_tensor("A", A, ("...", "m", "m"))
    check_tensor("B", B, ("...", A.shape[-1], A.shape[-1]))
    if A.shape[-1] != A.shape[-2]:
        raise ValueError(f"A must be square (..., m, m), got {tuple(A.shape)}")
    return (A.bool()[..., :, :, None] & B.bool()[..., None, :, :]).any(-2)  # (..., i, k, j) -> (..., i, j)


def brc_tokens(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Token ``(i, j)`` (position ``i m + j``) carries symbol ``A_ij + 2 B_ij``: ``(..., m^2)`` int64."""
    check_tensor("A", A, ("...", "m", "m"))
    check_tensor("B", B, ("...", A.shape[-2], A.shape[-1]))
    return (A.long() + 2 * B.long()).flatten(-2)


def brc_from_tokens(tokens: torch.Tensor, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverse of :func:`brc_tokens`: ``(A, B)``, each ``(..., m, m)`` bool."""
    m = check_int("m", m, low=1)
    check_tensor("tokens", tokens, ("...", m * m))
    grid = tokens.view(*tokens.shape[:-1], m, m)
    return (grid % 2).bool(), (grid // 2).bool()


def sample_brc(
    m: int, batch: int | tuple[int, ...], density: float, gen: torch.Generator, device="cpu"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tokens ``(*batch, m^2)`` and labels ``(*batch, m^2)`` bool.

    ``A`` and ``B`` are independent, with independent Bernoulli(``density``) entries.
    """
    m = check_int("m", m, low=1)
    density = check_float("density", density, low=0.0, high=1.0)
    shape = (batch,) if isinstance(batch, int) else tuple(batch)
    A = torch.rand(*shape, m, m, generator=gen, device=device) < density
    B = torch.rand(*shape, m, m, generator=gen, device=device) < density
    return brc_tokens(A, B), brc_labels(A, B).flatten(-2)


# -- the construction ---------------------------------------------------------------------------

# residual coordinates of the construction (d = 9 for every n)
_COS, _SIN, _TYPE_G, _TYPE_H, _VCOS, _VSIN, _CONST, _RAW, _OUT = range(9)
CONSTRUCTION_D = 9


def construction_scale(n: int, margin: float = 40.0) -> float:
    """Score scale of :func:`comp_construction`: ``margin / (1 - cos(2 pi / n)) ~ margin n^2 / 2 pi^2``."""
    n = check_int("n", n, low=2)
    margin = check_float("margin", margin, low=0.0, strict_low=True)
    return margin / min(1.0 - math.cos(2 * math.pi / n), 1.0)


@torch.no_grad()
def comp_construction(n: int, margin: float = 40.0) -> StrassenTransformer:
    """One Strassen layer (1 head, ``d = 9``, one ReLU unit) whose output at the query is ``h(g(x))``.

    Slot ``i`` of each table and symbol ``sigma`` sit at angle ``2 pi i / n`` and
    ``2 pi sigma / n`` (an additive embedding ``q(i) + r(sigma)``). For the query ``o``
    (symbol ``x``):

    * ``<f_o, g_j> = s (cos(angle x - slot j) + [j in g-table])``: largest (``2s``) at the
      ``g``-position ``j = x``;
    * ``<g_j, h_k> = s (cos(angle of j's symbol - slot k) + [k in h-table])``: for every ``j``
      largest (``2s``) at the ``h``-position ``k = n + sigma_j``, i.e. ``n + g(x)`` for ``j = x``;
    * ``<h_k, f_o> = 0``;

    so the pair ``(x, n + g(x))`` beats every other pair by at least ``margin`` (``s =``
    :func:`construction_scale`). Values: ``v_j = 1`` and ``vt_k = sigma_k`` on the answer
    coordinate, so the head returns ``~ h(g(x))``; the MLP is ``ReLU`` of that coordinate.
    Size ``max(H, d, P) = 12`` for every ``n``; the score scale ``s`` grows like ``n^2``
    (``O(log n)`` bits of precision). float64, ``out = 1``, ``readout = 2n``.
    """
    n = check_int("n", n, low=2)
    s = construction_scale(n, margin)
    d = CONSTRUCTION_D
    model = StrassenTransformer(2 * n + 1, n, d, heads=1, mlp_width=1, out=1, readout=2 * n).double()
    for p in model.parameters():
        p.zero_()
    angle = torch.arange(n, dtype=torch.float64) * 2 * math.pi / n
    E = torch.zeros(2 * n + 1, n, d, dtype=torch.float64)  # (T, V, d)
    for table, flag in ((0, _TYPE_G), (1, _TYPE_H)):
        rows = slice(table * n, (table + 1) * n)
        E[rows, :, _COS] = torch.cos(angle)[:, None]  # slot angle of the position
        E[rows, :, _SIN] = torch.sin(angle)[:, None]
        E[rows, :, flag] = 1.0
    E[:, :, _VCOS] = torch.cos(angle)[None, :]  # symbol angle
    E[:, :, _VSIN] = torch.sin(angle)[None, :]
    E[:, :, _CONST] = 1.0
    E[:, :, _RAW] = torch.arange(n, dtype=torch.float64)[None, :]  # the symbol itself
    model.embed[0] = E
    Wf, Wg, Wh = model.W_f[0, 0], model.W_g[0, 0], model.W_h[0, 0]  # (d, d): row = output coordinate
    # f-g pair (coordinates 0-2 of the projections): query's symbol angle vs slot angle, + g-table bonus
    Wf[0, _VCOS] = Wf[1, _VSIN] = Wf[2, _CONST] = s
    Wg[0, _COS], Wg[1, _SIN], Wg[2, _TYPE_G] = 1.0, 1.0, 1.0
    # g-h pair (coordinates 3-5): j's symbol angle vs k's slot angle, + h-table bonus
    Wg[3, _VCOS], Wg[4, _VSIN], Wg[5, _CONST] = 1.0, 1.0, 1.0
    Wh[3, _COS] = Wh[4, _SIN] = Wh[5, _TYPE_H] = s
    # h-f pair: disjoint coordinates, so <h_k, f_o> = 0
    model.V_1[0, 0, _OUT, _CONST] = 1.0  # v_j = 1 on the answer coordinate
    model.V_2[0, 0, _OUT, _RAW] = 1.0  # vt_k = symbol of k
    model.W_o[0] = torch.eye(d, dtype=torch.float64)
    model.W_1[0, _OUT, 0] = 1.0
    model.W_2[0, 0, 0] = 1.0
    return model


CHUNK_SCORES = 2**25
"""Pairwise scores (``inputs x T^2``) one chunk of :func:`construction_errors` may hold: about
0.8 GiB in float64 (one Comp_256 input, ``T = 513``, kept about 6 MiB on the CPU)."""


@torch.no_grad()
def construction_errors(
    model: StrassenTransformer, tokens: torch.Tensor, n: int, chunk: int | None = None
) -> torch.Tensor:
    """``|y - h(g(x))|`` of a real-output model on Comp_n inputs ``(B, 2n + 1)``: ``(B,)``, in
    chunks of ``chunk`` inputs (default: at most 8192, and at most :data:`CHUNK_SCORES` /
    ``T^2``, so memory stays bounded at every n)."""
    n = check_int("n", n, low=2)
    check_tensor("tokens", tokens, (None, 2 * n + 1))
    T = 2 * n + 1
    chunk = max(1, min(8192, CHUNK_SCORES // T**2)) if chunk is None else check_int("chunk", chunk, low=1)
    errs = []
    for start in range(0, tokens.shape[0], chunk):
        t = tokens[start : start + chunk]
        y = model(t)[0, :, 0]  # (B,)
        errs.append((y - comp_task(t, n).to(y.dtype)).abs())
    return torch.cat(errs)


# -- training on the three tasks ----------------------------------------------------------------


def task_shape(task: str, **params: Any) -> dict[str, Any]:
    """Model shape for ``task``: ``length``, ``vocab``, ``out``, ``readout``."""
    check_choice("task", task, TASKS)
    if task == "comp":
        n = check_int("n", params.get("n"), low=2)
        return dict(length=2 * n + 1, vocab=n, out=n, readout=2 * n)
    if task == "match3":
        N, m = check_int("N", params.get("N"), low=1), check_int("m", params.get("m"), low=2)
        return dict(length=N, vocab=m, out=1, readout="all")
    m = check_int("m", params.get("m"), low=1)
    check_float("density", params.get("density"), low=0.0, high=1.0)
    return dict(length=m * m, vocab=4, out=1, readout="all")


def task_batch(
    task: str, shape: tuple[int, ...], gen: torch.Generator, device="cpu", **params: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh inputs ``(*shape, T)`` and labels (Comp_n: ``(*shape,)`` int64; else ``(*shape, T)`` bool)."""
    check_choice("task", task, TASKS)
    if task == "comp":
        n = params["n"]
        tokens = torch.randint(0, n, (*shape, 2 * n + 1), generator=gen, device=device)
        return tokens, comp_labels(tokens, n)  # sampled in range: no per-step token check
    if task == "match3":
        tokens = torch.randint(0, params["m"], (*shape, params["N"]), generator=gen, device=device)
        return tokens, match3_labels(tokens, params["m"])
    return sample_brc(params["m"], shape, params["density"], gen, device)


def token_alone_accuracy(task: str, samples: int, gen: torch.Generator, **params: Any) -> float:
    """Best accuracy of a rule that sees only a token's own position and symbol (per-token tasks).

    Estimated from ``samples`` fresh inputs (label frequencies per (position, symbol)); a
    model that mixes no information across tokens cannot beat it.
    """
    check_choice("task", task, ("match3", "brc"))
    tokens, labels = task_batch(task, (check_int("samples", samples, low=1),), gen, **params)
    T = tokens.shape[-1]
    V = 4 if task == "brc" else params["m"]
    cell = (torch.arange(T) * V + tokens).flatten()  # (samples T,) one cell per (position, symbol)
    ones = torch.zeros(T * V).index_add_(0, cell, labels.flatten().float())
    total = torch.zeros(T * V).index_add_(0, cell, torch.ones(cell.shape))
    return (torch.maximum(ones, total - ones).sum() / total.sum()).item()


# -- page 25's training runs -------------------------------------------------------------------


def page_configs(sizes: Any, seed: int = 0) -> dict[str, Any]:
    """Page 25's training runs from its sizes (``sizes("25_strassen_attention", profile)``).

    ``"comp"``: one softmax layer, two softmax layers and one Strassen layer on Comp_n
    (``n = comp_n``); ``"tokens"``: one softmax and one Strassen layer on Match3 and on relation
    composition, keyed ``(task, attention)``. All are
    :class:`attnlab.composition.training.CompConfig`; the model seeds are
    ``derive_seed(seed, "model", i)``.
    """
    from attnlab.composition.training import CompConfig, model_seeds  # training imports this module

    seeds = model_seeds(seed, sizes.seeds)
    shape = dict(d=sizes.d, heads=sizes.heads, mlp_width=sizes.mlp_width, seeds=seeds)
    comp_common = dict(task="comp", n=sizes.comp_n, steps=sizes.steps, batch=sizes.batch, lr=sizes.lr)
    comp_common.update(eval_every=sizes.eval_every, eval_samples=sizes.eval_samples, **shape)
    comp = {
        "softmax, 1 layer": CompConfig(attention="softmax", layers=1, **comp_common),
        "softmax, 2 layers": CompConfig(attention="softmax", layers=2, **comp_common),
        "Strassen, 1 layer": CompConfig(attention="strassen", layers=1, **comp_common),
    }
    token_common = dict(steps=sizes.token_steps, batch=sizes.token_batch, lr=sizes.token_lr, **shape)
    token_common.update(eval_every=sizes.token_eval_every, eval_samples=sizes.token_eval_samples)
    tokens = {
        (task, attention): CompConfig(task=task, attention=attention, **params, **token_common)
        for task, params in (("match3", vars(sizes.match3)), ("brc", vars(sizes.brc)))
        for attention in ("softmax", "strassen")
    }
    return {"comp": comp, "tokens": tokens}


def planned_work(sizes: Any) -> Any:
    """Page 25's training work at ``sizes`` (an :class:`attnlab.runtime.work.Work`), without training."""
    from attnlab.composition.training import total_work

    runs = page_configs(sizes)
    return total_work([*runs["comp"].values(), *runs["tokens"].values()])


# -- cost -----------------------------------------------------------------------------------------


def time_step(
    form: str, T: int, *, d: int = 16, batch: int = 4, repeats: int = 3, device: str = "cpu", seed: int = 0
) -> float:
    """Median seconds of one forward + backward pass of one attention layer over ``T`` tokens.

    ``form``: ``"strassen"`` (matrix-product form), ``"naive"`` (the ``T^3`` scores) or
    ``"softmax"`` (:func:`attnlab.attention.attend`). All ``T`` positions are queries; one head
    of width ``d``; ``batch`` sequences; one untimed warm-up pass.
    """
    check_choice("form", form, ("strassen", "naive", "softmax"))
    T, d = check_int("T", T, low=1), check_int("d", d, low=1)
    batch, repeats = check_int("batch", batch, low=1), check_int("repeats", repeats, low=1)
    dev = default_device(device)
    gen = torch.Generator(device=dev).manual_seed(seed)
    x = torch.randn(batch, T, d, generator=gen, device=dev)
    k = 5 if form != "softmax" else 3
    W = (torch.randn(k, d, d, generator=gen, device=dev) * d**-0.5).requires_grad_()
    beta = d**-0.5

    def step() -> None:
        z = torch.einsum("btd,ked->kbte", x, W)  # (k, B, T, d)
        if form == "softmax":
            out, _ = attend(z[0], z[1], z[2], beta=beta)
        elif form == "naive":
            out = strassen_attention_naive(*z, beta=beta)
        else:
            out = strassen_attention(*z, beta=beta)
        out.square().sum().backward()
        if dev.type == "cuda":
            torch.cuda.synchronize()

    step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]
