"""The Strassen paper's four training tasks (its Appendix C.1), with variable lengths and masks.

Kozachinskiy et al. (2025) train on a fixed data set per task. Every example here is padded to
the task's largest length and comes with two masks, so one batched model handles every length:

* ``tokens (B, T)`` int64, the padding symbol :func:`pad_symbol` beyond the real tokens;
* ``mask (B, T)`` bool, True at the real tokens (the attention never looks at the others);
* ``labels (B, T)`` bool and ``labelled (B, T)`` bool, True where a token carries a label
  (the loss and the accuracy read only those).

The tasks (values 0-indexed, positions 0-indexed):

* ``"fcomp"`` **function composition as a Boolean task**: ``n`` uniform in ``[25, 30]``, the
  input ``(⊥, f(0), ..., f(n-1))`` for ``f: [n] -> [n]``, one label at ``⊥`` (position 0):
  whether ``f(f(0)) = 0``. Under a uniform ``f`` that holds with probability about ``2/n``;
  the paper balances it to about 50% with its Algorithm 1.
* ``"brc"`` **binary relation composition with A = B = R**: ``m`` uniform in ``[6, 8]``, ``R``
  an ``m x m`` Boolean matrix with entries 1 with probability 0.325 on a grid padded to
  ``8 x 8`` (token ``(i, j)`` at position ``8 i + j`` carries ``R_ij``); label at ``(i, j)``:
  ``(R o R)_ij = OR_k R_ik R_kj``.
* ``"match3"`` **Match3** over ``[0, M-1]``, ``M = 37``, ``n`` uniform in ``[30, 35]``; label at
  ``i``: some ``j, k`` (repetition allowed) with ``x_i + x_j + x_k = 0 (mod M)``. Uniform
  inputs of this length are almost all positive; the paper's Algorithm 3 balances the data over
  four bins of an example's fraction of positive labels.
* ``"qbrc"`` **quotient binary relation composition**: ``A = R``, ``B = R^T`` with entries 1 with
  probability ``P = 0.433`` and a random colouring ``col`` of the ``m`` elements; label at
  ``(i, j)``, ``i != j``: some ``k1 != k2`` of one colour have ``R_{i k1} = R_{j k2} = 1``;
  the diagonal ``i = j`` carries no label. Token ``(i, k)`` carries ``R_ik`` and ``col(k)``.

**Provenance and stand-ins.** The parameters above are the paper's as the book's issue quotes
them from Appendix C.1 and Table 6. The stored text of the paper could not be searched for the
bodies of Algorithms 1 and 3, nor for QBRC's number of colours, its ``m`` or its token
encoding, so these are *stand-ins*, labelled as such wherever the book shows them:

* :func:`sample_fcomp` (Algorithm 1's stand-in): a fair coin picks the label; a positive draws
  ``f`` uniformly and then sets ``f(f(0)) = 0`` (``f(a) = 0`` for ``a = f(0)``, nothing to do
  when ``a = 0``); a negative draws uniform ``f`` until ``f(f(0)) != 0``.
* :func:`sample_match3` (Algorithm 3's stand-in): candidates draw a support size ``s`` uniform
  in ``[1, M]``, a uniform support of that size and ``x_i`` uniform over it (small supports give
  few pair sums, hence few positives); each candidate goes to its bin of positive fraction
  ``[0, 1/4), [1/4, 1/2), [1/2, 3/4), [3/4, 1]`` until every bin holds a quarter of the data.
* :func:`sample_qbrc`: ``m`` uniform in ``[6, 8]`` as for relation composition, ``col`` uniform
  over ``m`` colours (each element's colour independent).

Labels are computed by vectorised formulas here and checked against brute force (loops over
``k1, k2`` or ``j, k``) in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from attnlab._checks import check_choice, check_float, check_int
from attnlab.composition.tasks import match3_labels

PAPER_TASKS = ("fcomp", "brc", "match3", "qbrc")
"""The paper's four tasks, in the order its tables give them."""

GRID_TASKS = ("brc", "qbrc")
"""The tasks whose tokens are the edges of an ``m x m`` grid: where triangular attention applies."""


@dataclass(frozen=True)
class PaperTaskSizes:
    """One task's sizes: ``low..high`` is ``n`` (sequences) or ``m`` (grids); ``density`` the
    probability of a 1 in ``R`` (grid tasks); ``M`` the modulus (Match3)."""

    low: int
    high: int
    density: float | None = None
    M: int | None = None

    def __post_init__(self) -> None:
        check_int("low", self.low, low=1)
        check_int("high", self.high, low=self.low)
        if self.density is not None:
            check_float("density", self.density, low=0.0, high=1.0)
        if self.M is not None:
            check_int("M", self.M, low=2)


PAPER_SIZES = {
    "fcomp": PaperTaskSizes(25, 30),
    "brc": PaperTaskSizes(6, 8, density=0.325),
    "match3": PaperTaskSizes(30, 35, M=37),
    "qbrc": PaperTaskSizes(6, 8, density=0.433),
}
"""Appendix C.1's sizes (QBRC's ``m`` range is a stand-in, see the module text)."""


def length(task: str, sizes: PaperTaskSizes) -> int:
    """Tokens per padded example: ``high + 1`` (fcomp), ``high`` (Match3), ``high^2`` (grids)."""
    check_choice("task", task, PAPER_TASKS)
    return {"fcomp": sizes.high + 1, "match3": sizes.high}.get(task, sizes.high**2)


def vocab(task: str, sizes: PaperTaskSizes) -> int:
    """Alphabet size, the padding symbol included (it is the largest symbol)."""
    return pad_symbol(task, sizes) + 1


def pad_symbol(task: str, sizes: PaperTaskSizes) -> int:
    """The symbol of a padding token: one past the task's real symbols (fcomp: ``⊥`` is
    ``high``, padding ``high + 1``; QBRC: ``R_ik + 2 col(k)`` takes ``2 high`` values)."""
    check_choice("task", task, PAPER_TASKS)
    return {"fcomp": sizes.high + 1, "brc": 2, "match3": sizes.M, "qbrc": 2 * sizes.high}[task]


# -- labels ----------------------------------------------------------------------------------------


def fcomp_label(f: torch.Tensor) -> torch.Tensor:
    """``f(f(0)) = 0`` for tables ``f (..., n)``: bool ``(...)``."""
    return f.gather(-1, f[..., :1])[..., 0] == 0


def brc_square(R: torch.Tensor) -> torch.Tensor:
    """``(R o R)_ij = OR_k R_ik R_kj`` for ``R (..., m, m)`` bool: bool ``(..., m, m)``."""
    return (R.float() @ R.float()) > 0


def qbrc_labels(R: torch.Tensor, col: torch.Tensor) -> torch.Tensor:
    """Some ``k1 != k2`` with ``col(k1) = col(k2)`` and ``R_{i k1} = R_{j k2} = 1``: bool ``(..., m, m)``.

    ``R (..., m, m)`` bool, ``col (..., m)`` int. The diagonal is computed too (the tasks leave
    it unlabelled).
    """
    m = R.shape[-1]
    same = (col[..., :, None] == col[..., None, :]) & ~torch.eye(m, dtype=torch.bool, device=R.device)
    Rf = R.float()
    return (Rf @ same.float() @ Rf.mT) > 0  # (i, k1) (k1, k2) (k2, j)


# -- samplers ---------------------------------------------------------------------------------


def _lengths(sizes: PaperTaskSizes, count: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randint(sizes.low, sizes.high + 1, (count,), generator=gen)


def sample_fcomp(count: int, gen: torch.Generator, sizes: PaperTaskSizes = PAPER_SIZES["fcomp"]):
    """``count`` balanced examples (Algorithm 1's stand-in): ``(tokens, mask, labels, labelled)``."""
    count = check_int("count", count, low=1)
    T, bot, pad = length("fcomp", sizes), sizes.high, pad_symbol("fcomp", sizes)
    tokens = torch.full((count, T), pad, dtype=torch.long)
    mask = torch.zeros(count, T, dtype=torch.bool)
    labels = torch.zeros(count, T, dtype=torch.bool)
    ns = _lengths(sizes, count, gen)
    positive = torch.rand(count, generator=gen) < 0.5
    for b in range(count):
        n = int(ns[b])
        f = torch.randint(0, n, (n,), generator=gen)
        if positive[b]:
            f[f[0]] = 0  # f(f(0)) = 0 (when f(0) = 0 this sets f(0) = 0 again)
        else:
            while bool(fcomp_label(f)):
                f = torch.randint(0, n, (n,), generator=gen)
        tokens[b, 0], tokens[b, 1 : n + 1] = bot, f
        mask[b, : n + 1] = True
        labels[b, 0] = fcomp_label(f)
    labelled = torch.zeros(count, T, dtype=torch.bool)
    labelled[:, 0] = True
    return tokens, mask, labels, labelled


def _grid_masks(ms: torch.Tensor, high: int) -> torch.Tensor:
    r = torch.arange(high)
    real = r[None, :] < ms[:, None]  # (B, high)
    return real[:, :, None] & real[:, None, :]  # (B, high, high)


def sample_brc(count: int, gen: torch.Generator, sizes: PaperTaskSizes = PAPER_SIZES["brc"]):
    """``count`` relation-composition examples ``A = B = R``: ``(tokens, mask, labels, labelled)``."""
    count = check_int("count", count, low=1)
    ms = _lengths(sizes, count, gen)
    real = _grid_masks(ms, sizes.high)  # (B, h, h)
    R = (torch.rand(count, sizes.high, sizes.high, generator=gen) < sizes.density) & real
    labels = brc_square(R) & real  # padded rows/columns of R are 0: they change nothing
    tokens = torch.where(real, R.long(), pad_symbol("brc", sizes))
    return tokens.flatten(1), real.flatten(1), labels.flatten(1), real.flatten(1)


def sample_qbrc(count: int, gen: torch.Generator, sizes: PaperTaskSizes = PAPER_SIZES["qbrc"]):
    """``count`` quotient-composition examples: ``(tokens, mask, labels, labelled)``; token
    ``(i, k)`` carries ``R_ik + 2 col(k)``, the diagonal is unlabelled."""
    count = check_int("count", count, low=1)
    h = sizes.high
    ms = _lengths(sizes, count, gen)
    real = _grid_masks(ms, h)
    R = (torch.rand(count, h, h, generator=gen) < sizes.density) & real
    col = (torch.rand(count, h, generator=gen) * ms[:, None]).long()  # uniform over m colours
    labelled = real & ~torch.eye(h, dtype=torch.bool)
    labels = qbrc_labels(R, col) & labelled
    tokens = torch.where(real, R.long() + 2 * col[:, None, :], pad_symbol("qbrc", sizes))
    return tokens.flatten(1), real.flatten(1), labels.flatten(1), labelled.flatten(1)


MATCH3_BINS = 4
"""Algorithm 3's bins of an example's fraction of positive labels."""


def match3_bin(labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Each example's bin ``0..3``: its fraction of positive labels in quarters (1 goes to bin 3)."""
    frac = (labels & mask).sum(-1) / mask.sum(-1)
    return (frac * MATCH3_BINS).long().clamp(max=MATCH3_BINS - 1)


def sample_match3(count: int, gen: torch.Generator, sizes: PaperTaskSizes = PAPER_SIZES["match3"]):
    """``count`` Match3 examples balanced over four bins (Algorithm 3's stand-in):
    ``(tokens, mask, labels, labelled)``; each bin gets ``count // 4`` examples (the first
    ``count % 4`` bins one more), in a shuffled order."""
    count = check_int("count", count, low=1)
    M, T = sizes.M, length("match3", sizes)
    want = [count // MATCH3_BINS + (b < count % MATCH3_BINS) for b in range(MATCH3_BINS)]
    kept: list[list[tuple[torch.Tensor, ...]]] = [[] for _ in range(MATCH3_BINS)]
    while any(len(k) < w for k, w in zip(kept, want, strict=True)):
        batch = 4 * count
        ns = _lengths(sizes, batch, gen)
        mask = torch.arange(T)[None, :] < ns[:, None]
        support = torch.randint(1, M + 1, (batch,), generator=gen)
        order = torch.rand(batch, M, generator=gen).argsort(-1)  # a random support: its first s residues
        pick = (torch.rand(batch, T, generator=gen) * support[:, None]).long()
        x = order.gather(-1, pick)
        tokens = torch.where(mask, x, M)  # the padding symbol M
        # padding must not count as a summand: give it a residue's copy of a real token
        filled = torch.where(mask, x, x[:, :1])
        labels = match3_labels(filled, M) & mask
        bins = match3_bin(labels, mask)
        for b in range(batch):
            k = int(bins[b])
            if len(kept[k]) < want[k]:
                kept[k].append((tokens[b], mask[b], labels[b]))
    rows = [r for k in kept for r in k]
    perm = torch.randperm(len(rows), generator=gen)
    tokens, mask, labels = (torch.stack([rows[int(i)][c] for i in perm]) for c in range(3))
    return tokens, mask, labels, mask.clone()


SAMPLERS = {"fcomp": sample_fcomp, "brc": sample_brc, "match3": sample_match3, "qbrc": sample_qbrc}
"""Each paper task's sampler: ``sampler(count, gen, sizes) -> (tokens, mask, labels, labelled)``."""


def sample(task: str, count: int, gen: torch.Generator, sizes: PaperTaskSizes | None = None):
    """``count`` examples of ``task`` (one of :data:`PAPER_TASKS`) at ``sizes`` (default the
    paper's): ``(tokens, mask, labels, labelled)``, each ``(count, T)``."""
    check_choice("task", task, PAPER_TASKS)
    return SAMPLERS[task](count, gen, PAPER_SIZES[task] if sizes is None else sizes)
