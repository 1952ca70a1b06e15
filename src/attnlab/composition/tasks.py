"""The tasks of the composition chapter: Comp_n, Ind_n, SUM_2, Match3, relations, palindromes.

Every task takes a batch of token sequences (integer tensors, last dimension = positions)
and returns its labels. Values are **0-indexed** in code: the paper's value ``j in [n]`` is
the integer ``j - 1`` here, and positions are 0-indexed as well.

* **Comp_n** (Peng, Narayanan and Papadimitriou): ``2n + 1`` tokens with values in
  ``[n]``: the table of ``g`` (positions ``0..n-1``), the table of ``h`` (positions
  ``n..2n-1``) and the query ``x`` (position ``2n``). The answer is ``h(g(x))``.
* **Ind_n** (the Boolean task the lower bound is proved for): ``n + 1`` tokens, a pointer
  ``p in [n]`` and bits ``q_1..q_n``; the answer is ``q_p``. Ind_n reduces to Comp_n: an Ind_n
  input maps to a Comp_n input (``x`` fixed) whose answer gives ``q_p`` (:func:`comp_from_ind`).
* **Match3** (Sanford, Hsu and Telgarsky): tokens ``p_1..p_N in Z_m``; the output at token
  ``i`` is 1 iff some ``j, k`` (repetitions allowed) have ``p_i + p_j + p_k = 0 (mod m)``.
* **SUM_2** in the form secondary accounts give for the Strassen-attention paper:
  ``Sum2[l, m](p_1..p_l) = 1`` iff some ``j, k`` (``j = k`` allowed) have
  ``p_j + p_k = -1 (mod m)``, entries from ``Z_m \\ {m - 2}``. SUM_2 reduces to Match3: a
  SUM_2 input maps to a Match3 input whose output at one token is the SUM_2 answer
  (:func:`match3_from_sum2`), so a transformer for Match3 gives one for SUM_2.
* **Binary-relation composition** (the Strassen-attention paper): relations ``A, B`` on ``m``
  elements, token ``(i, j)`` carrying ``(A_ij, B_ij)``; the output at token ``(i, j)`` is
  ``(B o A)_ij = OR_k (A_ik AND B_kj)``.
* **Palindromes**: 1 iff the word equals its reversal.

Samplers take a ``torch.Generator`` (or a seed) and a device; ``all_inputs`` enumerates
every input of a task for tiny sizes, so labels and constructions can be checked
exhaustively. The tasks the chapter trains on (:data:`TASKS`) share one interface:
:func:`task_shape` (the model's input and output shape) and :func:`task_batch` (fresh inputs
and labels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import torch

from attnlab._checks import check_choice, check_float, check_int, check_tensor, check_tokens
from attnlab.runtime.seeds import generator

TASKS = ("comp", "ind", "match3", "brc")
"""The tasks the chapter trains on: Comp_n, Ind_n, Match3 and binary-relation composition."""

MAX_ENUMERATION = 2**24  # inputs; beyond this an exhaustive table does not fit comfortably in memory


# -- enumeration -------------------------------------------------------------------------


def all_inputs(sizes: Sequence[int], device: torch.device | str = "cpu") -> torch.Tensor:
    """Every word whose position ``i`` takes values ``0..sizes[i]-1``, in mixed-radix order.

    Args:
        sizes: alphabet size of each position (each ``>= 1``).
        device: where to build the tensor.

    Returns ``(prod(sizes), len(sizes))`` int64; the last position varies fastest.
    Raises ``ValueError`` (naming ``sizes``) when there are more than ``MAX_ENUMERATION`` words.
    """
    sizes = [check_int("sizes", s, low=1) for s in sizes]
    total = math.prod(sizes)
    if total > MAX_ENUMERATION:
        raise ValueError(
            f"sizes describe {total} inputs; exhaustive enumeration is limited to {MAX_ENUMERATION} "
            "(the table must fit in memory)"
        )
    index = torch.arange(total, device=device)  # (N,)
    radix = torch.tensor(
        [math.prod(sizes[i + 1 :]) for i in range(len(sizes))], dtype=torch.long, device=device
    )
    return (index[:, None] // radix) % torch.tensor(sizes, dtype=torch.long, device=device)  # (N, L)


# -- Comp_n --------------------------------------------------------------------------------


def comp_sizes(n: int) -> list[int]:
    """Alphabet sizes of the ``2n + 1`` positions of Comp_n (all ``n``)."""
    n = check_int("n", n, low=2)
    return [n] * (2 * n + 1)


def comp_task(tokens: torch.Tensor, n: int) -> torch.Tensor:
    """Comp_n labels ``h(g(x))``.

    Args:
        tokens: ``(..., 2n + 1)`` integers in ``0..n-1``: ``g`` table, ``h`` table, query ``x``.
        n: the domain size, ``n >= 2``.

    Returns ``(...,)`` int64.
    """
    n = check_int("n", n, low=2)
    check_tensor("tokens", tokens, ("...", 2 * n + 1))
    check_tokens("tokens", tokens, 0, n - 1, " (g table, h table, query)")
    return comp_labels(tokens, n)


def comp_labels(tokens: torch.Tensor, n: int) -> torch.Tensor:
    """:func:`comp_task` without the checks, for a training loop's own samples: no min/max (a
    GPU synchronisation) per step. Tokens must already be valid."""
    g, h, x = tokens[..., :n], tokens[..., n : 2 * n], tokens[..., 2 * n]
    gx = g.gather(-1, x[..., None])  # (..., 1)
    return h.gather(-1, gx)[..., 0]


def sample_comp(
    n: int, batch: int, seed: int | torch.Generator = 0, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``batch`` uniform Comp_n inputs ``(batch, 2n + 1)`` (``g``, ``h`` and ``x`` independent)."""
    n = check_int("n", n, low=2)
    batch = check_int("batch", batch, low=1)
    gen = generator(seed, device)
    return torch.randint(0, n, (batch, 2 * n + 1), generator=gen, device=device)


def example_comp(n: int, seed: int | torch.Generator = 0) -> torch.Tensor:
    """One uniform Comp_n input ``(2n + 1,)`` whose answer depends on ``g`` and ``x``.

    Drawn uniformly among the inputs where ``h o g`` is not constant (so some other query
    ``x``, or another value ``g(x)``, gives another answer): a worked example in which ``h`` is
    constant would show nothing of the composition.
    """
    n = check_int("n", n, low=2)
    gen = generator(seed, "cpu")
    while True:
        w = torch.randint(0, n, (2 * n + 1,), generator=gen)
        if w[n : 2 * n][w[:n]].unique().numel() > 1:
            return w


def enumerate_comp(n: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """All ``n^(2n+1)`` Comp_n inputs (``n <= 4``: 262 144 inputs at ``n = 4``)."""
    return all_inputs(comp_sizes(n), device)


def _tables_with_fibres_below(n: int, k: int) -> int:
    """Number of tables ``h: [n] -> [n]`` in which every value is taken fewer than ``k`` times.

    Counted exactly by filling the ``n`` values one at a time: ``ways[j]`` is the number of ways
    to choose which ``j`` of the ``n`` (labelled) positions take the values filled so far.
    """
    ways = [1] + [0] * n
    for _ in range(n):
        new = [0] * (n + 1)
        for j, w in enumerate(ways):
            if w:
                for c in range(min(k - 1, n - j) + 1):
                    new[j + c] += w * math.comb(n - j, c)
        ways = new
    return ways[n]


def max_fibre_total(n: int) -> int:
    """``sum_h max_v |h^{-1}(v)|`` over all ``n^n`` tables ``h: [n] -> [n]``, exactly.

    Uses ``max >= k`` summed over ``k = 1..n``: ``sum_k (n^n - #{h: every fibre < k})``, with the
    count from a dynamic programme over values (no enumeration of tables; ``O(n^4)`` integer
    operations, fine for ``n`` up to a few dozen).
    """
    n = check_int("n", n, low=1)
    return sum(n**n - _tables_with_fibres_below(n, k) for k in range(1, n + 1))


def most_frequent_value_accuracy(n: int) -> Fraction:
    """Exact accuracy on uniform Comp_n of answering the most frequent value of ``h``.

    ``h(g(x))`` with ``g(x)`` uniform and independent of ``h``, so a guess ``v`` is right with
    probability ``|h^{-1}(v)| / n``; the best guess that ignores ``g`` and ``x`` takes the largest
    fibre: accuracy ``E[max_v |h^{-1}(v)|] / n = max_fibre_total(n) / n^(n+1)`` (ties do not matter).
    """
    n = check_int("n", n, low=2)
    return Fraction(max_fibre_total(n), n ** (n + 1))


# -- Ind_n, and its reduction to Comp_n -------------------------------------------------------------


def ind_sizes(n: int) -> list[int]:
    """Alphabet sizes of Ind_n: the pointer takes ``n`` values, then ``n`` bits."""
    n = check_int("n", n, low=2)
    return [n] + [2] * n


def ind_task(tokens: torch.Tensor, n: int) -> torch.Tensor:
    """Ind_n labels ``q_p`` for tokens ``(..., n + 1)`` = pointer ``p`` then bits ``q``; bool ``(...,)``."""
    n = check_int("n", n, low=2)
    check_tensor("tokens", tokens, ("...", n + 1))
    check_tokens("tokens[..., 0]", tokens[..., :1], 0, n - 1, " (the pointer p)")
    check_tokens("tokens[..., 1:]", tokens[..., 1:], 0, 1, " (the bits q)")
    return tokens[..., 1:].gather(-1, tokens[..., :1])[..., 0] == 1


def comp_from_ind(tokens: torch.Tensor, n: int) -> torch.Tensor:
    """The reduction of Ind_n to Comp_n: a Comp_n input whose answer is 0 exactly when Ind_n answers 1.

    Query ``x = 0`` (the paper's ``x = 1``), ``g(0) = p`` and ``g(i) = 0`` otherwise,
    ``h(i) = 0`` if ``q_i = 1`` else ``1``. Then ``h(g(x)) = 0 <=> q_p = 1``; a transformer for
    Comp_n becomes one for Ind_n with one threshold neuron on its output.

    Args:
        tokens: Ind_n inputs ``(..., n + 1)``.
        n: the domain size, ``n >= 2``.

    Returns Comp_n inputs ``(..., 2n + 1)``.
    """
    n = check_int("n", n, low=2)
    check_tensor("tokens", tokens, ("...", n + 1))
    p, q = tokens[..., :1], tokens[..., 1:]
    g = torch.zeros_like(q)
    g[..., :1] = p
    h = (q == 0).long()
    x = torch.zeros_like(p)
    return torch.cat([g, h, x], dim=-1)


# -- Match3, SUM_2, and the reduction of SUM_2 to Match3 ----------------------------------------------


def _pair_sums(tokens: torch.Tensor, m: int) -> torch.Tensor:
    """``(..., m)`` bool: residue ``r`` is ``p_j + p_k mod m`` for some ``j, k`` (repetition allowed)."""
    present = torch.zeros(*tokens.shape[:-1], m, dtype=torch.bool, device=tokens.device)
    present.scatter_(-1, tokens % m, True)  # (..., m) which residues occur
    r = torch.arange(m, device=tokens.device)
    partner = (r[:, None] - r[None, :]) % m  # (m, m): residue r needs a second summand r - a
    return (present[..., None, :] & present[..., partner]).any(-1)  # (..., m)


def match3(tokens: torch.Tensor, m: int) -> torch.Tensor:
    """Match3 outputs ``(..., N)`` bool: token ``i`` has ``j, k`` with ``p_i + p_j + p_k = 0 mod m``."""
    m = check_int("m", m, low=2)
    check_tensor("tokens", tokens, ("...", "N"))
    check_tokens("tokens", tokens, 0, m - 1, " (residues of Z_m)")
    return match3_labels(tokens, m)


def match3_labels(tokens: torch.Tensor, m: int) -> torch.Tensor:
    """:func:`match3` without the checks (a training loop's own valid samples)."""
    sums = _pair_sums(tokens, m)  # (..., m)
    need = (-tokens) % m  # (..., N)
    return sums.gather(-1, need)


def sum2(tokens: torch.Tensor, m: int) -> torch.Tensor:
    """SUM_2 labels ``(...,)`` bool: some ``j, k`` (``j = k`` allowed) have ``p_j + p_k = -1 (mod m)``.

    Args:
        tokens: ``(..., l)`` integers in ``0..m-1`` other than ``m - 2``.
        m: the modulus, ``m >= 4``.
    """
    m = check_int("m", m, low=4)
    check_tensor("tokens", tokens, ("...", "l"))
    if bool(((tokens < 0) | (tokens >= m) | (tokens == m - 2)).any()):
        raise ValueError(f"tokens must lie in 0..{m - 1} and avoid {m - 2} (= -2 mod m) for SUM_2")
    return _pair_sums(tokens, m)[..., m - 1]


def sum2_values(m: int) -> torch.Tensor:
    """The allowed SUM_2 entries ``Z_m \\ {m - 2}`` in increasing order."""
    m = check_int("m", m, low=4)
    r = torch.arange(m)
    return r[r != m - 2]


def match3_from_sum2(tokens: torch.Tensor, m: int) -> torch.Tensor:
    """The reduction of SUM_2 to Match3: prepend ``p_1 = 1``; Match3's output at token 1 equals SUM_2.

    ``1 + p_j + p_k = 0`` is ``p_j + p_k = -1``; the pairs that involve token 1 itself need an
    entry ``-2`` (excluded from SUM_2's alphabet) or ``1 + 1 + 1 = 0``, impossible for ``m >= 4``.
    """
    m = check_int("m", m, low=4)
    one = torch.ones_like(tokens[..., :1])
    return torch.cat([one, tokens], dim=-1)


def sample_sum2(
    length: int, m: int, batch: int, seed: int | torch.Generator = 0, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """``batch`` uniform SUM_2 inputs ``(batch, length)`` over ``Z_m \\ {m - 2}``."""
    length = check_int("length", length, low=1)
    batch = check_int("batch", batch, low=1)
    values = sum2_values(m).to(device)
    idx = torch.randint(0, len(values), (batch, length), generator=generator(seed, device), device=device)
    return values[idx]


# -- binary-relation composition ------------------------------------------------------------


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


# -- palindromes ---------------------------------------------------------------------------


def palindromes(tokens: torch.Tensor) -> torch.Tensor:
    """1 iff the word ``(..., n)`` reads the same backwards; bool ``(...,)``."""
    check_tensor("tokens", tokens, ("...", "n"))
    return (tokens == tokens.flip(-1)).all(-1)


# -- the trained tasks: one interface ------------------------------------------------------


def task_shape(task: str, **params: Any) -> dict[str, Any]:
    """Model shape for ``task`` (one of :data:`TASKS`): ``length``, ``vocab``, ``out``, ``readout``.

    ``params``: ``n`` (Comp_n, Ind_n), ``N, m`` (Match3) or ``m, density`` (relations); a missing
    or bad one raises ``ValueError`` naming it. Comp_n answers with ``n`` logits read at the query
    token ``x``; Ind_n with the theorem's single real output, read at an auxiliary token after the
    input, whose symbol is fixed, so the proof's sums split between the pointer and the bits.
    """
    check_choice("task", task, TASKS)
    if task == "comp":
        n = check_int("n", params.get("n"), low=2)
        return dict(length=2 * n + 1, vocab=n, out=n, readout=2 * n)
    if task == "ind":
        n = check_int("n", params.get("n"), low=2)
        return dict(length=n + 1, vocab=n, out=1, readout="aux")
    if task == "match3":
        N, m = check_int("N", params.get("N"), low=1), check_int("m", params.get("m"), low=2)
        return dict(length=N, vocab=m, out=1, readout="all")
    m = check_int("m", params.get("m"), low=1)
    check_float("density", params.get("density"), low=0.0, high=1.0)
    return dict(length=m * m, vocab=4, out=1, readout="all")


def task_batch(
    task: str, shape: tuple[int, ...], gen: torch.Generator, device="cpu", **params: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh inputs ``(*shape, T)`` and labels (Comp_n: ``(*shape,)`` int64; Ind_n: ``(*shape,)``
    bool; else ``(*shape, T)`` bool)."""
    check_choice("task", task, TASKS)
    if task == "comp":
        n = params["n"]
        tokens = torch.randint(0, n, (*shape, 2 * n + 1), generator=gen, device=device)
        return tokens, comp_labels(tokens, n)  # sampled in range: no per-step token check
    if task == "ind":
        n = params["n"]
        pointer = torch.randint(0, n, (*shape, 1), generator=gen, device=device)
        bits = torch.randint(0, 2, (*shape, n), generator=gen, device=device)
        tokens = torch.cat([pointer, bits], dim=-1)
        return tokens, bits.gather(-1, pointer)[..., 0] == 1  # ind_task without its checks
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
