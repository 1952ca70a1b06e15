"""Transformers with explicit weights that solve Comp_n.

Each returns one stacked model (float64) whose real output ``y`` at the query token satisfies
``|y - h(g(x))| < 1/2`` (values 0-indexed); :func:`comp_errors` measures ``|y - h(g(x))|``.
Attention acts as a hard lookup because every score that should win beats the others by a
gap ``>= margin`` (``e^{-margin}`` mass leaks per losing position, or pair).

* :func:`two_layer_comp` -- a :class:`~attnlab.composition.transformer.SoftmaxTransformer`
  of width ``d = 11`` for every ``n``, one head per layer. Slot ``i``
  of each table sits at angle ``2 pi i / n`` on a circle, and so does symbol ``sigma``.
  Layer 1: the query token (symbol ``x``) attends to the ``g``-slot whose angle matches its
  symbol and copies that token's symbol angle, i.e. the angle of ``g(x)``. Layer 2: it
  attends to the ``h``-slot at that angle and copies its raw symbol ``h(g(x))``. Adjacent
  angles differ in cosine by ``delta = 1 - cos(2 pi / n) ~ 2 pi^2 / n^2``, so the weights
  grow like ``n^2`` (O(log n) bits), the width does not.
* :func:`one_layer_comp` -- one softmax layer, two heads, ``d = 3n + 7`` and an ``n``-unit ReLU MLP
  (``P = n (d + 2) + 1``). Head 1 fetches a one-hot code of ``g(x)``; head 2 averages the
  ``h``-table, written as ``h(i) e_i`` by the embedding ``p(n + i, sigma) = ... + sigma e_i``
  (the theorem allows any ``p(i, sigma)``); unit ``j`` of the MLP outputs
  ``ReLU(h(j) + n [g(x) = j] - n)``, which is ``h(j)`` for ``j = g(x)`` and 0 otherwise.
* :func:`strassen_comp` -- one :class:`~attnlab.composition.strassen.StrassenTransformer`
  layer of constant size (one head, ``d = 9``, one ReLU unit) for every ``n``: the two lookups
  of the two-layer construction become the two dot products of one pair score.
"""

from __future__ import annotations

import math

import torch

from attnlab._checks import check_float, check_int, check_tensor
from attnlab.composition.strassen import StrassenTransformer, strassen_scores
from attnlab.composition.tasks import comp_task
from attnlab.composition.transformer import SoftmaxTransformer, StackedModel, mlp_params

# coordinates shared by every construction
_COS, _SIN = 0, 1  # slot angle of the position (g and h tables)
_TYPE_G, _TYPE_H = 2, 3  # which table the position belongs to
_VCOS, _VSIN = 4, 5  # angle of the token's symbol
_CONST = 6  # constant 1


def _gap(n: int) -> float:
    return 1.0 - math.cos(2 * math.pi / n)


def _base_embedding(n: int, d: int) -> torch.Tensor:
    """``p(i, sigma) = q(i) + r(sigma)`` on the shared coordinates: ``(2n + 1, n, d)``."""
    T = 2 * n + 1
    E = torch.zeros(T, n, d, dtype=torch.float64)
    slot = torch.arange(n, dtype=torch.float64) * 2 * math.pi / n
    for table, type_coord in ((0, _TYPE_G), (1, _TYPE_H)):
        rows = slice(table * n, (table + 1) * n)
        E[rows, :, _COS] = torch.cos(slot)[:, None]
        E[rows, :, _SIN] = torch.sin(slot)[:, None]
        E[rows, :, type_coord] = 1.0
    E[:, :, _VCOS] = torch.cos(slot)[None, :]  # symbol sigma at angle 2 pi sigma / n
    E[:, :, _VSIN] = torch.sin(slot)[None, :]
    E[:, :, _CONST] = 1.0
    return E


def _lookup_scale(n: int, margin: float, bonus: float) -> float:
    """Score multiplier so that the right key beats every other by at least ``margin``."""
    return margin / min(_gap(n), bonus)


def _set_g_lookup(Wq: torch.Tensor, Wk: torch.Tensor, scale: float, bonus: float) -> None:
    """Scores that make the query token attend to the g-slot whose index is x's symbol.

    Query = the symbol angle of x (times ``scale``) plus a bonus for g positions; key = the
    slot angle of each position and its g-type flag.
    """
    Wq[_COS, _VCOS] = Wq[_SIN, _VSIN] = scale
    Wq[_TYPE_G, _CONST] = scale * bonus
    Wk[_COS, _COS] = Wk[_SIN, _SIN] = Wk[_TYPE_G, _TYPE_G] = 1.0


@torch.no_grad()
def two_layer_comp(n: int, margin: float = 40.0) -> SoftmaxTransformer:
    """A 2-layer, 1-head, width-11 transformer computing Comp_n at the query token.

    Args:
        n: domain size, ``n >= 2``.
        margin: score gap between the looked-up key and every other key (softmax leaks
            about ``2n e^{-margin}`` of the mass).
    """
    n = check_int("n", n, low=2)
    margin = check_float("margin", margin, low=0.0, strict_low=True)
    SCR_C, SCR_S, RAW, OUT = 7, 8, 9, 10  # fetched angle of g(x), raw symbol, answer
    d = 11
    model = SoftmaxTransformer(2 * n + 1, n, d, heads=1, mlp_width=1, out=1, layers=2, readout=2 * n)
    model = model.double()
    for p in model.parameters():
        p.zero_()
    E = _base_embedding(n, d)
    E[:, :, RAW] = torch.arange(n, dtype=torch.float64)[None, :]
    model.embed[0] = E
    bonus = 1.0
    s = _lookup_scale(n, margin, bonus)
    # layer 1: look up the g-slot of x
    Wq, Wk, Wv = model.W_q[0, 0, 0], model.W_k[0, 0, 0], model.W_v[0, 0, 0]
    _set_g_lookup(Wq, Wk, s, bonus)
    Wv[SCR_C, _VCOS] = Wv[SCR_S, _VSIN] = 1.0  # copy the symbol angle of the g-slot: angle of g(x)
    # layer 2: query = fetched angle (and a bonus for h positions); key = slot angle, type h
    Wq, Wk, Wv = model.W_q[0, 1, 0], model.W_k[0, 1, 0], model.W_v[0, 1, 0]
    Wq[_COS, SCR_C] = Wq[_SIN, SCR_S] = s
    Wq[_TYPE_H, _CONST] = s * bonus
    Wk[_COS, _COS] = Wk[_SIN, _SIN] = Wk[_TYPE_H, _TYPE_H] = 1.0
    Wv[OUT, RAW] = 1.0  # copy the raw symbol h(g(x))
    model.W_o[0, 0] = torch.eye(d, dtype=torch.float64)
    model.W_o[0, 1] = torch.eye(d, dtype=torch.float64)
    # output MLP: y = ReLU(z_OUT) (answers are >= 0)
    model.W_1[0, OUT, 0] = 1.0
    model.W_2[0, 0, 0] = 1.0
    return model


def one_layer_width(n: int) -> int:
    """Embedding dimension ``d = 3n + 7`` of :func:`one_layer_comp`."""
    return 3 * check_int("n", n, low=2) + 7


ONE_LAYER_HEADS = 2  # heads of :func:`one_layer_comp`


def one_layer_mlp_params(n: int) -> int:
    """``P = n (d + 2) + 1`` of :func:`one_layer_comp` (``n`` ReLU units, one output), without
    building it (so for any ``n``, also astronomically large)."""
    return mlp_params(one_layer_width(n), n, 1)


def one_layer_size(n: int) -> int:
    """``max(H, d, P)`` of :func:`one_layer_comp`, without building it."""
    return max(ONE_LAYER_HEADS, one_layer_width(n), one_layer_mlp_params(n))


@torch.no_grad()
def one_layer_comp(n: int, margin: float = 40.0) -> SoftmaxTransformer:
    """A 1-layer, 2-head transformer computing Comp_n with ``d = 3n + 7`` and ``n`` ReLU units.

    Args:
        n: domain size, ``n >= 2``.
        margin: score gap of the head-1 lookup and of head 2's preference for ``h`` positions.
    """
    n = check_int("n", n, low=2)
    margin = check_float("margin", margin, low=0.0, strict_low=True)
    d = one_layer_width(n)
    TAB = 7  # block of n: one-hot of sigma at g positions, sigma * e_i at h position n + i
    S1 = TAB + n  # block of n: fetched one-hot of g(x)
    S2 = TAB + 2 * n  # block of n: averaged h-table, h(j) / n at coordinate j
    model = SoftmaxTransformer(
        2 * n + 1, n, d, heads=ONE_LAYER_HEADS, mlp_width=n, out=1, layers=1, readout=2 * n
    )
    model = model.double()
    for p in model.parameters():
        p.zero_()
    E = _base_embedding(n, d)
    idx = torch.arange(n)
    E[idx[:, None], idx[None, :], TAB + idx[None, :]] = 1.0  # g position i, symbol sigma: e_sigma
    E[n + idx[:, None], idx[None, :], TAB + idx[:, None]] = idx[None, :].double()  # h pos: sigma e_i
    model.embed[0] = E
    bonus = 1.0
    s = _lookup_scale(n, margin, bonus)
    # head 1: fetch the one-hot code of g(x) (the same lookup as layer 1 of the two-layer one)
    Wq, Wk, Wv = model.W_q[0, 0, 0], model.W_k[0, 0, 0], model.W_v[0, 0, 0]
    _set_g_lookup(Wq, Wk, s, bonus)
    Wv[TAB + idx, TAB + idx] = 1.0
    # head 2: attend uniformly to the h positions, average their table block
    Wq, Wk, Wv = model.W_q[0, 0, 1], model.W_k[0, 0, 1], model.W_v[0, 0, 1]
    Wq[_TYPE_H, _CONST] = margin
    Wk[_TYPE_H, _TYPE_H] = 1.0
    Wv[TAB + idx, TAB + idx] = 1.0
    # W_O: head 1's block -> S1, head 2's block -> S2
    model.W_o[0, 0, S1 + idx, TAB + idx] = 1.0
    model.W_o[0, 0, S2 + idx, d + TAB + idx] = 1.0
    # MLP unit j: ReLU(n * S2_j + n * S1_j - n) = h(j) if g(x) = j else 0
    model.W_1[0, S2 + idx, idx] = float(n)
    model.W_1[0, S1 + idx, idx] = float(n)
    model.b_1[0] = -float(n)
    model.W_2[0, :, 0] = 1.0
    return model


STRASSEN_D = 9
"""Embedding dimension of :func:`strassen_comp`, the same for every ``n``."""


def strassen_scale(n: int, margin: float = 40.0) -> float:
    """Score scale of :func:`strassen_comp`: ``margin / (1 - cos(2 pi / n)) ~ margin n^2 / 2 pi^2``."""
    n = check_int("n", n, low=2)
    margin = check_float("margin", margin, low=0.0, strict_low=True)
    return _lookup_scale(n, margin, 1.0)


@torch.no_grad()
def strassen_comp(n: int, margin: float = 40.0) -> StrassenTransformer:
    """One Strassen layer (1 head, ``d = 9``, one ReLU unit) whose output at the query is ``h(g(x))``.

    Slot ``i`` of each table and symbol ``sigma`` sit at angle ``2 pi i / n`` and
    ``2 pi sigma / n`` (the additive embedding of the softmax constructions). For the query ``o``
    (symbol ``x``):

    * ``<f_o, g_j> = s (cos(angle x - slot j) + [j in g-table])``: largest (``2s``) at the
      ``g``-position ``j = x``;
    * ``<g_j, h_k> = s (cos(angle of j's symbol - slot k) + [k in h-table])``: for every ``j``
      largest (``2s``) at the ``h``-position ``k = n + sigma_j``, i.e. ``n + g(x)`` for ``j = x``;
    * ``<h_k, f_o> = 0``;

    so the pair ``(x, n + g(x))`` beats every other pair by at least ``margin`` (``s =``
    :func:`strassen_scale`). Values: ``v_j = 1`` and ``vt_k = sigma_k`` on the answer
    coordinate, so the head returns ``~ h(g(x))``; the MLP is ``ReLU`` of that coordinate.
    Size ``max(H, d, P) = 12`` for every ``n``; the score scale ``s`` grows like ``n^2``
    (``O(log n)`` bits of precision). float64, ``out = 1``, ``readout = 2n``.
    """
    n = check_int("n", n, low=2)
    s = strassen_scale(n, margin)
    d = STRASSEN_D
    RAW, OUT = 7, 8  # the symbol itself; the answer
    model = StrassenTransformer(2 * n + 1, n, d, heads=1, mlp_width=1, out=1, readout=2 * n).double()
    for p in model.parameters():
        p.zero_()
    E = _base_embedding(n, d)
    E[:, :, RAW] = torch.arange(n, dtype=torch.float64)[None, :]
    model.embed[0] = E
    Wf, Wg, Wh = model.W_f[0, 0], model.W_g[0, 0], model.W_h[0, 0]  # (d, d): row = output coordinate
    # f-g pair (coordinates 0-2 of the projections): query's symbol angle vs slot angle, + g-table bonus
    Wf[0, _VCOS] = Wf[1, _VSIN] = Wf[2, _CONST] = s
    Wg[0, _COS], Wg[1, _SIN], Wg[2, _TYPE_G] = 1.0, 1.0, 1.0
    # g-h pair (coordinates 3-5): j's symbol angle vs k's slot angle, + h-table bonus
    Wg[3, _VCOS], Wg[4, _VSIN], Wg[5, _CONST] = 1.0, 1.0, 1.0
    Wh[3, _COS] = Wh[4, _SIN] = Wh[5, _TYPE_H] = s
    # h-f pair: disjoint coordinates, so <h_k, f_o> = 0
    model.V_1[0, 0, OUT, _CONST] = 1.0  # v_j = 1 on the answer coordinate
    model.V_2[0, 0, OUT, RAW] = 1.0  # vt_k = symbol of k
    model.W_o[0] = torch.eye(d, dtype=torch.float64)
    model.W_1[0, OUT, 0] = 1.0
    model.W_2[0, 0, 0] = 1.0
    return model


CHUNK_SCORES = 2**25
"""Scores (``inputs x T^2``) one chunk of :func:`comp_errors` may hold: about 0.8 GiB in
float64 for a Strassen layer (one Comp_256 input, ``T = 513``, keeps about 6 MiB on the CPU);
a softmax layer holds far fewer (``T`` per input and head)."""


@torch.no_grad()
def strassen_pair_margins(model: StrassenTransformer, tokens: torch.Tensor, n: int) -> torch.Tensor:
    """How far the pair ``(x, n + g(x))`` beats every other pair in the scores of the first head
    of the first model at the query of Comp_n inputs ``(B, 2n + 1)``: ``(B,)``, the score of that
    pair minus the largest score of any other pair (in the units of the scores, ``beta``
    included). :func:`strassen_comp` is built for a margin of at least its ``margin`` argument;
    this measures it. In chunks, as :func:`comp_errors`."""
    n = check_int("n", n, low=2)
    check_tensor("tokens", tokens, (None, 2 * n + 1))
    T = 2 * n + 1
    chunk = max(1, min(8192, CHUNK_SCORES // T**2))
    out = []
    for start in range(0, tokens.shape[0], chunk):
        t = tokens[start : start + chunk]
        x = model.embed_tokens(t)[:1]  # (1, B, T, d)
        q = x[:, :, 2 * n : 2 * n + 1]  # the query token (1, B, 1, d)

        def proj(z: torch.Tensor, W: torch.Tensor) -> torch.Tensor:  # (1, B, L, d) -> (B, L, d), head 0
            return torch.einsum("sbld,sed->sble", z, W[:1, 0])[0]

        s = strassen_scores(proj(q, model.W_f), proj(x, model.W_g), proj(x, model.W_h), beta=model.beta)
        s = s[:, 0].flatten(1)  # (B, T * T): pair (j, k) at j * T + k
        query = t[:, 2 * n]  # x
        win = query * T + n + t.gather(1, query[:, None])[:, 0]  # the pair (x, n + g(x))
        best = s.gather(1, win[:, None])[:, 0]
        others = s.scatter(1, win[:, None], -math.inf).amax(1)
        out.append(best - others)
    return torch.cat(out)


@torch.no_grad()
def comp_errors(model: StackedModel, tokens: torch.Tensor, n: int, chunk: int | None = None) -> torch.Tensor:
    """``|y - h(g(x))|`` of a real-output model on Comp_n inputs ``(B, 2n + 1)``: ``(B,)``.

    In chunks of ``chunk`` inputs (default: at most 8192, and at most :data:`CHUNK_SCORES` /
    ``T^2``, so memory stays bounded at every ``n``, for softmax and Strassen layers alike).
    """
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
