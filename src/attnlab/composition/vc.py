"""Split-VC dimension by brute force, and the size bounds it implies for one-layer transformers.

For a Boolean function ``f`` of a word ``w = (w_1..w_n)`` and a split of the positions into
``A`` and ``B = [n] \\ A``, the matrix ``M_A`` has one row per assignment ``w_A`` of the
positions in ``A``, one column per assignment ``w_B``, and entries ``f(w_A (+) w_B)``. Each
column is a Boolean function on the rows; the VC dimension of this set of columns is the
largest number of rows on which the columns realise all ``2^k`` patterns. The **split-VC
dimension** of ``f`` is the maximum over ``A`` (Kozachinskiy 2024; the name is the
Strassen-attention paper's).

Why it matters: if a one-layer softmax transformer computes ``f`` at one token, every column
of ``M_A`` is a member of one class of functions ``(alpha, lambda) -> sign F((alpha,
lambda), (gamma, mu))`` with ``k = H (d + 1)`` real parameters ``(gamma, mu)`` and ``t``
arithmetic operations, so split-VC(f) is at most that class's VC dimension, which
:func:`vc_upper_bound` bounds with Anthony & Bartlett's Theorem 8.4,
``VCdim <= 4 k (t + 2)``.

The brute force is vectorised: the truth table is one tensor, every split is a permutation
and reshape of it, and shattering is tested for whole levels of candidate row sets at once.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch

from attnlab._checks import check_float, check_int, check_tensor
from attnlab.composition.tasks import all_inputs

MAX_INPUTS = 2**20  # words in the truth table of a brute-force split-VC computation
MAX_CANDIDATES = 2**22  # candidate row sets examined at one level of the shattering search


@dataclass
class SplitVC:
    """The result of a split-VC computation.

    Attributes:
        value: the split-VC dimension (over the splits examined).
        split: the positions ``A`` (0-indexed) of a split attaining it.
        matrix: ``M_A`` for that split, bool ``(rows, columns)``.
        rows: the assignments ``w_A`` labelling the rows, ``(rows, |A|)``.
        columns: the assignments ``w_B`` labelling the columns, ``(columns, |B|)``.
        witness: the shattered rows, as assignments ``w_A``: ``(value, |A|)``.
        witness_columns: for each of the ``2^value`` patterns (pattern ``c`` has bit ``i``
            on row ``witness[i]``), one column ``w_B`` realising it: ``(2^value, |B|)``.
        per_split: the VC dimension of ``M_A`` for every split examined, keyed by ``A``.
    """

    value: int
    split: tuple[int, ...]
    matrix: torch.Tensor
    rows: torch.Tensor
    columns: torch.Tensor
    witness: torch.Tensor
    witness_columns: torch.Tensor
    per_split: dict[tuple[int, ...], int]


def truth_table(f: Callable[[torch.Tensor], torch.Tensor], sizes: Sequence[int]) -> torch.Tensor:
    """``f`` on every word, as a bool tensor of shape ``sizes``.

    Args:
        f: maps words ``(N, n)`` (int64) to labels ``(N,)`` (bool or 0/1).
        sizes: alphabet size of each position; their product must be at most ``MAX_INPUTS``.
    """
    sizes = [check_int("sizes", s, low=1) for s in sizes]
    if not sizes:
        raise ValueError("sizes must list the alphabet size of each position, got none")
    total = math.prod(sizes)
    if total > MAX_INPUTS:
        raise ValueError(
            f"alphabet sizes {sizes} give {total} words; the brute force keeps the whole truth table and "
            f"reshapes it once per split, so it is limited to {MAX_INPUTS} = 2^20 words"
        )
    words = all_inputs(sizes)  # (N, n)
    labels = f(words)
    if not isinstance(labels, torch.Tensor) or tuple(labels.shape) != (len(words),):
        got = tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__
        raise ValueError(
            f"f must map words ({len(words)}, {len(sizes)}) to labels of shape ({len(words)},), got {got}"
        )
    return labels.reshape(sizes).bool()


def _check_split(split: Iterable[int], n: int) -> tuple[int, ...]:
    try:
        items = [int(a) for a in split]
    except (TypeError, ValueError) as err:
        raise ValueError(f"split must be a set of positions in 0..{n - 1}, got {split!r}") from err
    if any(a < 0 or a >= n for a in items) or len(set(items)) != len(items):
        raise ValueError(f"split must be a subset of the positions 0..{n - 1} (no repeats), got {split!r}")
    return tuple(sorted(items))


def split_matrix(
    table: torch.Tensor, split: Iterable[int]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``M_A`` of a truth table for the split ``A`` = ``split``.

    Args:
        table: bool truth table of shape ``sizes`` (see :func:`truth_table`).
        split: the positions ``A`` (0-indexed) that index the rows.

    Returns ``(M (R, C) bool, rows (R, |A|), columns (C, |B|))``.
    """
    n = table.dim()
    A = _check_split(split, n)
    B = tuple(i for i in range(n) if i not in A)
    sizes = list(table.shape)
    M = table.permute(*A, *B).reshape(math.prod(sizes[i] for i in A), math.prod(sizes[i] for i in B))
    return M, all_inputs([sizes[i] for i in A]), all_inputs([sizes[i] for i in B])


def _check_matrix(M: object) -> None:
    if not isinstance(M, torch.Tensor) or M.dim() != 2:
        got = f"shape {tuple(M.shape)}" if isinstance(M, torch.Tensor) else type(M).__name__
        raise ValueError(f"M must be a 2-D bool (or 0/1) torch.Tensor of shape (rows, columns), got {got}")
    if M.numel() == 0:
        raise ValueError(f"M must have at least one row and one column, got shape {tuple(M.shape)}")
    if M.dtype != torch.bool and not bool(((M == 0) | (M == 1)).all()):
        raise ValueError("M must be bool or hold only 0 and 1")


def vc_dimension(M: torch.Tensor) -> tuple[int, torch.Tensor, torch.Tensor]:
    """VC dimension of the columns of a Boolean matrix, seen as functions on its rows.

    Levelwise search: a row set of size ``k`` can only be shattered if its subsets are, so
    level ``k`` extends the shattered sets of level ``k - 1`` by one larger row index, and
    each level is tested in one batched computation (patterns of all columns on all
    candidates, then a scatter that marks which of the ``2^k`` patterns occur).

    Args:
        M: bool ``(R, C)``.

    Returns ``(k, witness_rows (k,), witness_cols (2^k,))``: row indices of a shattered set
    and, for each pattern ``c`` (bit ``i`` = value on ``witness_rows[i]``), a column index.
    """
    _check_matrix(M)
    M = M.bool()
    R, C = M.shape
    cols, first = _unique_columns(M)  # (R, C') distinct columns and an index of each in M
    Mi = cols.long()
    best = torch.zeros(0, dtype=torch.long)
    best_cols = torch.zeros(1, dtype=torch.long)  # the empty set is shattered by any column
    if C == 0:
        return 0, best, best_cols
    level = torch.arange(R)[:, None]  # (R, 1) candidate singletons
    k = 1
    while level.numel() > 0:
        if level.shape[0] > MAX_CANDIDATES:
            raise ValueError(
                f"the shattering search needs {level.shape[0]} candidate row sets at level {k}; "
                f"limit {MAX_CANDIDATES}: use a smaller alphabet (sizes) or fewer positions"
            )
        ok, witness_cols = _shattered(Mi, level, k)
        level = level[ok]
        if level.shape[0] == 0:
            break
        best, best_cols = level[0], first[witness_cols[ok][0]]
        if 2 ** (k + 1) > cols.shape[1]:  # not enough distinct columns for the next level
            break
        nxt = torch.arange(R)
        cand = torch.cat([level.repeat_interleave(R, 0), nxt.repeat(level.shape[0])[:, None]], 1)
        level = cand[cand[:, -1] > cand[:, -2]]  # (·, k + 1), increasing indices
        k += 1
    return int(best.numel()), best, best_cols


def _unique_columns(M: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    uniq, inverse = torch.unique(M.T, dim=0, return_inverse=True)  # (C', R)
    first = torch.full((uniq.shape[0],), M.shape[1], dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(M.shape[1]), reduce="amin")
    return uniq.T, first


def _shattered(Mi: torch.Tensor, level: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Which candidate row sets ``level (L, k)`` the columns of ``Mi (R, C)`` shatter.

    Returns ``(ok (L,) bool, cols (L, 2^k))``: for every pattern, one column realising it.
    """
    L, C = level.shape[0], Mi.shape[1]
    oks, reps = [], []
    chunk = max(1, 2**24 // max(1, C * k))
    weights = 2 ** torch.arange(k)  # (k,)
    for start in range(0, L, chunk):  # chunks bound memory; each is one batched computation
        rows = level[start : start + chunk]  # (l, k)
        codes = (Mi[rows] * weights[None, :, None]).sum(1)  # (l, C): pattern of each column
        seen = torch.full((rows.shape[0], 2**k), C, dtype=torch.long)
        seen.scatter_reduce_(1, codes, torch.arange(C).expand_as(codes), reduce="amin")
        oks.append((seen < C).all(1))
        reps.append(seen.clamp(max=C - 1))
    return torch.cat(oks), torch.cat(reps)


def vc_dimension_by_subsets(M: torch.Tensor) -> int:
    """VC dimension of the columns of ``M`` by plain subset enumeration: a slow reference.

    Independent of :func:`vc_dimension` (no batching, no extension of shattered sets): for
    ``k = 1, 2, ...`` every ``k``-subset of rows is tried in Python until one is shattered; the
    first ``k`` with no shattered subset ends the search (a subset of a shattered set is shattered).
    Cost grows like ``C(R, k + 1)``: meant for small matrices in checks and tests.

    Args:
        M: bool ``(R, C)``.
    """
    rows = M.bool().tolist()
    columns = set(zip(*rows, strict=True)) if rows and rows[0] else set()  # distinct columns as tuples
    best = 0
    for k in range(1, len(rows) + 1):
        if 2**k > len(columns):
            break
        if not any(
            len({tuple(col[r] for r in S) for col in columns}) == 2**k
            for S in itertools.combinations(range(len(rows)), k)
        ):
            break
        best = k
    return best


def witness_mismatches(result: SplitVC, f: Callable[[torch.Tensor], torch.Tensor]) -> int:
    """How many cells of a :class:`SplitVC` witness ``f`` itself contradicts (0: the witness is genuine).

    For every pattern ``c`` and witness row ``i`` the word ``w_A = witness[i]``,
    ``w_B = witness_columns[c]`` is assembled and ``f`` evaluated on it directly; the cell is
    right when ``f`` equals bit ``i`` of ``c``. This checks the lower bound ``value`` without the
    matrix ``M_A`` or the search that produced it.
    """
    k = result.value
    if k == 0:
        return 0
    A = list(result.split)
    n = len(A) + result.witness_columns.shape[1]
    B = [i for i in range(n) if i not in A]
    patterns = torch.arange(2**k)
    words = torch.zeros(2**k, k, n, dtype=torch.long)  # (pattern, row, position)
    words[:, :, A] = result.witness[None, :, :].expand(2**k, k, len(A))
    words[:, :, B] = result.witness_columns[:, None, :].expand(2**k, k, len(B))
    want = (patterns[:, None] >> torch.arange(k)[None, :]) & 1  # (pattern, row)
    got = f(words.reshape(-1, n)).reshape(2**k, k).long()
    return int((got != want).sum())


def split_vc(
    f: Callable[[torch.Tensor], torch.Tensor] | torch.Tensor,
    sizes: Sequence[int] | None = None,
    *,
    split: Iterable[int] | None = None,
    splits: Iterable[Iterable[int]] | None = None,
) -> SplitVC:
    """Split-VC dimension of ``f`` by brute force over splits (or over the given ones).

    Args:
        f: a labelling function (words ``(N, n)`` -> ``(N,)``) or a precomputed bool truth table.
        sizes: alphabet size per position (needed when ``f`` is a function).
        split: compute only for this split ``A`` (0-indexed positions).
        splits: compute for these splits only (default: all ``2^n`` subsets of positions).

    Returns a :class:`SplitVC` with the value, an optimal split, ``M_A`` and the witness.
    """
    if not isinstance(f, torch.Tensor) and not sizes:
        raise ValueError("sizes must list the alphabet size of each position when f is a function, got none")
    table = f if isinstance(f, torch.Tensor) else truth_table(f, sizes)
    n = table.dim()
    if split is not None:
        candidates = [_check_split(split, n)]
    elif splits is not None:
        candidates = [_check_split(s, n) for s in splits]
    else:
        candidates = [tuple(i for i in range(n) if mask >> i & 1) for mask in range(2**n)]
    per_split: dict[tuple[int, ...], int] = {}
    best: SplitVC | None = None
    for A in candidates:  # a loop over splits; everything inside is batched over inputs
        M, rows, cols = split_matrix(table, A)
        k, wr, wc = vc_dimension(M)
        per_split[A] = k
        if best is None or k > best.value:
            best = SplitVC(k, A, M, rows, cols, rows[wr], cols[wc], per_split)
    assert best is not None
    best.per_split = per_split
    return best


# -- the bounds --------------------------------------------------------------------------------


def readout_operation_terms(d: int, H: int, P: int) -> dict[str, int]:
    """The operation count ``t`` of :func:`readout_operations`, stage by stage.

    Returns ``{"heads": H (2d + 1), "W_O": d (2dH - 1), "residual": d, "mlp": 3P, "threshold": 2}``;
    :func:`readout_program` runs ``F`` and counts the same stages.
    """
    d = check_int("d", d, low=1)
    H = check_int("H", H, low=1)
    P = check_int("P", P, low=0)
    return {"heads": H * (2 * d + 1), "W_O": d * (2 * d * H - 1), "residual": d, "mlp": 3 * P, "threshold": 2}


def readout_operations(d: int, H: int, P: int) -> int:
    """Operation count ``t`` of the function ``F`` the proof builds from a one-layer transformer.

    ``F`` takes the inputs ``(alpha_h, lambda_h)`` (from the ``A`` half) and the parameters
    ``(gamma_h, mu_h)`` (from the ``B`` half) of every head and computes the answer:

    * per head ``d`` additions ``alpha + gamma``, one addition ``lambda + mu`` and ``d`` divisions:
      ``H (2d + 1)``;
    * ``W_O`` on the ``dH`` concatenated head outputs: ``d (2dH - 1)``;
    * the residual ``x_out + ...``: ``d`` additions;
    * the ReLU output MLP with ``P`` parameters: each parameter enters at most one
      multiplication and one addition, and there are at most ``P`` ReLU comparisons: ``3P``;
    * the final threshold ``|y - 1| < 1/2`` that turns Comp_n into Ind_n: 2 comparisons.

    The sum of :func:`readout_operation_terms`.

    Args:
        d: embedding dimension, ``>= 1``.
        H: number of heads, ``>= 1``.
        P: parameters of the output MLP, ``>= 0``.
    """
    return sum(readout_operation_terms(d, H, P).values())


class _Tally:
    """Real arithmetic on Python floats that counts every operation under the current stage."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.stage = ""

    def at(self, stage: str) -> None:
        self.stage = stage
        self.counts.setdefault(stage, 0)

    def _tick(self) -> None:
        self.counts[self.stage] += 1

    def add(self, a: float, b: float) -> float:
        self._tick()
        return a + b

    def mul(self, a: float, b: float) -> float:
        self._tick()
        return a * b

    def div(self, a: float, b: float) -> float:
        self._tick()
        return a / b

    def greater(self, a: float, b: float) -> bool:
        self._tick()
        return a > b

    def dot(self, xs: Sequence[float], ws: Sequence[float]) -> float:
        total = self.mul(xs[0], ws[0])
        for x, w in zip(xs[1:], ws[1:], strict=True):
            total = self.add(total, self.mul(x, w))
        return total


def readout_program(
    alpha: torch.Tensor,
    lam: torch.Tensor,
    gamma: torch.Tensor,
    mu: torch.Tensor,
    x_out: torch.Tensor,
    W_o: torch.Tensor,
    W_1: torch.Tensor | None,
    b_1: torch.Tensor | None,
    W_2: torch.Tensor,
    b_2: torch.Tensor,
    target: float = 0.0,
) -> tuple[float, bool, dict[str, int]]:
    """Run ``F`` once, as the straight-line program of the proof, counting its real operations.

    ``F`` finishes a one-layer transformer's forward pass at the readout token from the four
    sums of the key identity: head outputs ``(alpha_h + gamma_h) / (lambda_h + mu_h)``, then
    ``W_O``, the residual ``x_out + ...``, the ReLU MLP (real output) and the threshold
    ``|y - target| < 1/2`` (two comparisons with the constants ``target -+ 1/2``). Every
    ``+, *, /`` and comparison on a real number is counted under its stage, the stages of
    :func:`readout_operation_terms`; this measures ``t`` independently of that formula.

    Args:
        alpha: ``(H, d)`` A-sums of the values; lam: ``(H,)`` A-sums of the weights.
        gamma: ``(H, d)``; mu: ``(H,)``: the same over B.
        x_out: ``(d,)`` the readout token's embedding.
        W_o: ``(d, H d)``.
        W_1: ``(d, m)`` first MLP layer, or ``None`` for a linear output; b_1: ``(m,)`` or ``None``.
        W_2: ``(m, 1)`` (or ``(d, 1)`` without hidden layer); b_2: ``(1,)``.
        target: the value the threshold tests for.

    Returns ``(y, answer, counts)``: the real output, ``|y - target| < 1/2``, operations per stage.
    """
    H, d = check_tensor("alpha", alpha, ("H", "d")).shape
    check_tensor("lam", lam, (H,))
    check_tensor("gamma", gamma, (H, d))
    check_tensor("mu", mu, (H,))
    check_tensor("x_out", x_out, (d,))
    check_tensor("W_o", W_o, (d, H * d))
    if (W_1 is None) != (b_1 is None):
        raise ValueError("W_1 and b_1 must both be given (hidden ReLU layer) or both be None (linear output)")
    if W_1 is not None:
        check_tensor("W_1", W_1, (d, "m"))
        check_tensor("b_1", b_1, (W_1.shape[1],))
    check_tensor("W_2", W_2, (d if W_1 is None else W_1.shape[1], 1))
    check_tensor("b_2", b_2, (1,))
    al, la, be, m_ = alpha.tolist(), lam.tolist(), gamma.tolist(), mu.tolist()
    ops = _Tally()
    ops.at("heads")
    heads: list[float] = []
    for h in range(H):
        den = ops.add(la[h], m_[h])
        heads += [ops.div(ops.add(al[h][j], be[h][j]), den) for j in range(d)]
    ops.at("W_O")
    z = [ops.dot(heads, row) for row in W_o.tolist()]
    ops.at("residual")
    r = [ops.add(xo, zi) for xo, zi in zip(x_out.tolist(), z, strict=True)]
    ops.at("mlp")
    w2 = [row[0] for row in W_2.tolist()]
    if W_1 is not None:
        cols = list(zip(*W_1.tolist(), strict=True))  # (m, d): weights into each hidden unit
        pre = [ops.add(ops.dot(r, col), b) for col, b in zip(cols, b_1.tolist(), strict=True)]
        r = [p if ops.greater(p, 0.0) else 0.0 for p in pre]  # ReLU: one comparison per unit
    y = ops.add(ops.dot(r, w2), b_2.tolist()[0])
    ops.at("threshold")
    above, below = ops.greater(y, target - 0.5), ops.greater(target + 0.5, y)  # both always evaluated
    return y, above and below, ops.counts


def readout_on_model(model, tokens: torch.Tensor, A: Iterable[int], target: float = 0.0):
    """Run :func:`readout_program` on every input of ``tokens`` for the first of ``model``'s models.

    ``model`` is a one-layer :class:`~attnlab.composition.transformer.SoftmaxTransformer` with a
    real output; its key identity (``head_parts``) gives the four sums for the split ``A``.

    Returns ``(gap, answers, counts)``: the largest gap between the program's real output and
    the model's, relative to ``max(1, |model output|)``; the program's thresholded answer per
    input; the largest operation count per stage over the inputs.
    """
    with torch.no_grad():
        al, la, be, mu, xo = (part[0] for part in model.head_parts(tokens, list(A)))
        y_model = model(tokens)[0, :, 0].tolist()
        W_1 = None if model.W_1 is None else model.W_1[0]
        b_1 = None if model.b_1 is None else model.b_1[0]
        weights = (model.W_o[0, 0], W_1, b_1, model.W_2[0], model.b_2[0])
        gap, answers, counts = 0.0, [], {}
        for b, y_ref in enumerate(y_model):
            y, answer, c = readout_program(al[b], la[b], be[b], mu[b], xo[b], *weights, target)
            gap = max(gap, abs(y - y_ref) / max(1.0, abs(y_ref)))
            answers.append(answer)
            counts = {k: max(v, counts.get(k, 0)) for k, v in c.items()}
    return gap, answers, counts


def smallest_integer(ok: Callable[[int], bool], low: int) -> int:
    """The smallest integer ``>= low`` where the monotone predicate ``ok`` holds (doubling, then
    bisection): an independent check of the closed-form minima below."""
    low = check_int("low", low, low=0)
    high = max(low, 1)
    while not ok(high):
        high *= 2
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if ok(mid) else (mid + 1, high)
    return low


def vc_upper_bound(d: int, H: int, P: int) -> int:
    """Anthony & Bartlett (1999), Theorem 8.4, applied to the proof's class: ``4 k (t + 2)``.

    Theorem 8.4 (Neural Network Learning): if ``h(a, x)`` with ``k`` real parameters ``a``
    is computed by an algorithm of at most ``t`` operations among ``+, -, *, /``, jumps
    conditioned on comparisons of reals, and outputting 0/1, then the class
    ``{x -> h(a, x)}`` has VC dimension at most ``4 k (t + 2)`` (a constant-explicit form of
    Goldberg & Jerrum 1995, Theorem 2.3, which states ``O(k t)``). Here ``k = H (d + 1)``
    (the ``gamma_h in R^d`` and ``mu_h in R`` of every head) and ``t`` is
    :func:`readout_operations`.
    """
    k = check_int("H", H, low=1) * (check_int("d", d, low=1) + 1)
    return 4 * k * (readout_operations(d, H, P) + 2)


def min_size_vc(n: int) -> int:
    """Smallest ``s`` with ``vc_upper_bound(s, s, s) >= n``: a one-layer transformer of size
    ``max(H, d, P) < s`` cannot compute Ind_n (split-VC ``n``), hence not Comp_n."""
    n = check_int("n", n, low=2)
    s = 1
    while vc_upper_bound(s, s, s) < n:
        s += 1
    return s


def min_mlp_params_vc(n: int, d: int, H: int) -> int:
    """Smallest output-MLP parameter count ``P`` the VC bound allows for Ind_n at fixed ``d, H``."""
    n = check_int("n", n, low=2)
    d, H = check_int("d", d, low=1), check_int("H", H, low=1)
    k = H * (d + 1)
    t_needed = math.ceil(n / (4 * k)) - 2  # need 4k(t+2) >= n
    base = readout_operations(d, H, 0)
    return max(0, math.ceil((t_needed - base) / 3))


def peng_error_bound(n: int, H: int, d: int, p: float) -> float:
    """Peng, Narayanan & Papadimitriou (2024), Theorem 1, as this book uses it.

    With ``R = n log2 n - H (d + 1) p``: if ``R > 0`` a one-layer transformer with ``H``
    heads, embedding dimension ``d`` and ``p``-bit arithmetic answers Comp_n on uniformly
    random ``g, h`` wrongly with probability at least ``R / (3 n log2 n)``. Returns that
    probability (0 when ``R <= 0``: the theorem says nothing).

    Args:
        n: domain size ``>= 2``; H: heads ``>= 1``; d: dimension ``>= 1``; p: bits ``> 0``.
    """
    n = check_int("n", n, low=2)
    H, d = check_int("H", H, low=1), check_int("d", d, low=1)
    p = check_float("p", p, low=0.0, strict_low=True)
    info = n * math.log2(n)
    R = info - H * (d + 1) * p
    return max(0.0, R / (3 * info))


def min_size_peng(n: int, p: float) -> int:
    """Smallest ``s`` with ``s (s + 1) p >= n log2 n``: below it (``H = d = s``) Peng et al.'s
    theorem forces errors; at infinite precision the condition is never met."""
    n = check_int("n", n, low=2)
    p = check_float("p", p, low=0.0, strict_low=True)
    need = n * math.log2(n) / p  # s (s + 1) >= need
    s = max(1, math.floor((math.sqrt(1 + 4 * need) - 1) / 2))
    while s * (s + 1) < need:
        s += 1
    return s
