"""Depth against low rank as the context grows (page 15): the design and its summaries.

Amsel, Yehudai and Bruna prove that for two candidate points, two layers of rank-1 heads with
concatenated positional coordinates (scratch space) approximate the nearest neighbour with
polynomially many heads, and conjecture that for long contexts no depth saves low rank. Page 15
first reproduces depth helping low rank where it should (short context, scratch coordinates,
``c > 1`` attention modules per layer), then lengthens the context and measures how much of that
help remains. Every model is the authors' encoder with ``pos_dim`` concatenated learned
coordinates (model width ``D = d + pos_dim``); "full rank" is one head of rank ``D`` per module.

* :func:`lr_sweep_groups` trains, at every context of the page, every depth and rank at every
  rate of ``lr_grid`` on a seed of its own (stream ``"lr sweep"``, never a reported replicate);
  every rate of a depth and context trains in one batched run (per-model rates, see
  :class:`~attnlab.rank.config.TrainConfig`). :func:`chosen_lrs` reads the best rate per depth,
  context and rank off it. The rate is chosen per context because the best one moves with it:
  with a fixed number of points per step, a short context is many short sequences and a long
  one few long ones (a two-layer full-rank model's best rate was 8x apart at ``N = 3`` and
  ``N = 16`` in a pilot), so one rate for every context undertrains depth somewhere.
* :func:`groups` lists the reported runs: one batched run per ``(L, N)`` of :func:`sweep`
  holding every rank x replicate seed, each model at its chosen rate; :func:`planned_groups` lists
  both before the rates are known and :func:`planned_work` gives their work (any profile,
  nothing trained).
* :func:`control_sweep_groups` and :func:`control_groups` are the **budget control**: at the
  contexts ``sizes.control_Ns`` every deeper depth trains again, rates swept and replicates
  reported, for ``sizes.control_steps`` steps (more than ``steps``). At one budget for every
  depth, two of the authors' post-norm layers trail one full-rank layer, and in pilots the gap
  grew with the budget (the laptop profile's notes), so "at least as good as one layer" is asked
  of the deeper models at a budget of their own; and a depth's help that more steps bring back
  was a budget artefact, which the control can show.
* :func:`heldout_errors` reads the trained models back by ``(L, N, r)``; :func:`summarize`
  reduces the replicates (median, or the best as the paper reports); :func:`to_one_layer` is a
  model's error over the one-layer model's of the same rank and context (below 1: depth
  helps), :func:`error_ratio` over the full-rank model's of the same depth and context, and
  :func:`gain_kept` the share of depth's gain (in log error) left at a longer context.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

from attnlab._checks import check_choice, check_int
from attnlab.rank.config import TrainConfig
from attnlab.rank.encoder import EncoderConfig
from attnlab.rank.runs import unique_groups
from attnlab.runtime.runs import Runs
from attnlab.runtime.seeds import model_seeds
from attnlab.runtime.work import Work, total

Key = tuple[int, int, int]  # (layers L, context N, rank r)
SweepKey = tuple[int, int, int, float]  # (layers L, context N, rank r, peak learning rate)
REDUCTIONS = ("min", "median")
SWEEP_TAG, DEPTH_TAG = "lr sweep", "depth"
CONTROL_SWEEP_TAG, CONTROL_TAG = "control lr sweep", "budget control"
SWEEP_STREAM = "lr sweep"
"""The seed stream of the learning-rate sweep's models: disjoint from the reported replicates."""


def sweep(layers: Iterable[int], Ns: Iterable[int]) -> list[tuple[int, int]]:
    """The batched groups ``(L, N)``, shallow first, then by ``N``; one training run each."""
    Ls = sorted({check_int("layers", L, low=1) for L in layers})
    ns = sorted({check_int("N", N, low=2) for N in Ns})
    if not Ls or not ns:
        raise ValueError(f"layers and Ns must be non-empty; got {Ls}, {ns}")
    return [(L, N) for L in Ls for N in ns]


def group_models(ranks: Sequence[int], seeds: Sequence[int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ``K = len(ranks) x len(seeds)`` models of one group: ``(ranks, seeds)`` per model,
    every replicate of the first rank, then of the next."""
    if not ranks or not seeds:
        raise ValueError(f"ranks and seeds must be non-empty; got {ranks}, {seeds}")
    if len(set(ranks)) != len(ranks) or len(set(seeds)) != len(seeds):
        raise ValueError(f"ranks and seeds must not repeat; got {ranks}, {seeds}")
    pairs = [(check_int("rank", r, low=1), check_int("seed", s, low=0)) for r in ranks for s in seeds]
    return tuple(r for r, _ in pairs), tuple(s for _, s in pairs)


def batch_for(N: int, points: int, min_batch: int = 1) -> int:
    """Sequences per step so that every ``N`` sees about ``points`` points per step, and at least
    ``min_batch`` sequences (at a long context one sequence per step is too noisy to train on)."""
    check_int("N", N, low=2)
    check_int("points", points, low=1)
    check_int("min_batch", min_batch, low=1)
    return max(min_batch, points // N)


def full_rank(sizes: Any) -> int:
    """The full rank: the model width ``D = d + pos_dim`` (one head per module)."""
    return sizes.d + sizes.pos_dim


def ranks(sizes: Any) -> tuple[int, int]:
    """``(full rank, low rank)`` of the page's models."""
    low = check_int("low_rank", sizes.low_rank, low=1, high=full_rank(sizes) - 1)
    if full_rank(sizes) % low:
        raise ValueError(f"low_rank must divide the model width {full_rank(sizes)}; got {low}")
    return full_rank(sizes), low


def encoder(sizes: Any, layers: int, N: int) -> EncoderConfig:
    """The shape of every model of depth ``layers`` at context ``N``: the authors' encoder with
    ``pos_dim`` concatenated positional coordinates and ``c`` attention modules per layer."""
    return EncoderConfig(
        d=sizes.d,
        N=N,
        layers=layers,
        c=sizes.c,
        ff=sizes.ff,
        positional="concatenated",
        pos_dim=sizes.pos_dim,
    )


def _run(
    sizes: Any,
    layers: int,
    N: int,
    ranks_: Sequence[int],
    seeds: Sequence[int],
    lrs: Sequence[float],
    steps: int | None = None,
) -> TrainConfig:
    """One batched run at ``sizes``' data shape; ``steps`` defaults to ``sizes.steps``."""
    return TrainConfig(
        model=encoder(sizes, layers, N),
        ranks=tuple(ranks_),
        seeds=tuple(seeds),
        batch=batch_for(N, sizes.points, sizes.min_batch),
        steps=sizes.steps if steps is None else steps,
        steps_per_epoch=sizes.steps_per_epoch,
        lr=tuple(float(lr) for lr in lrs),
        eval_batches=sizes.eval_batches,
    )


def control_sweep(sizes: Any) -> list[tuple[int, int]]:
    """The budget control's groups ``(L, N)``: every deeper depth at every context of
    ``sizes.control_Ns`` (long contexts of the page, beyond the anchors), with its step budget
    ``sizes.control_steps`` checked against ``sizes.steps``."""
    Ns = tuple(sizes.control_Ns)
    if not set(Ns) <= set(sizes.Ns) or (Ns and min(Ns) <= max(sizes.anchor_Ns)):
        raise ValueError(
            f"control_Ns must be contexts of Ns beyond the anchors {tuple(sizes.anchor_Ns)}; got {Ns}"
        )
    check_int("control_steps", sizes.control_steps, low=sizes.steps)
    deep = [L for L in sizes.layers if L > 1]
    return sweep(deep, Ns) if deep and Ns else []


def _sweep_runs(sizes: Any, seed: int, pairs: Sequence[tuple[int, int]], steps: int, tag: str):
    grid = tuple(sizes.lr_grid)
    if not grid or len(set(grid)) != len(grid) or min(grid) <= 0:
        raise ValueError(f"lr_grid must be distinct positive rates; got {grid}")
    (sweep_seed,) = model_seeds(seed, 1, SWEEP_STREAM)
    models = [(r, lr) for r in ranks(sizes) for lr in grid]
    rs, seeds, lrs = [r for r, _ in models], [sweep_seed] * len(models), [lr for _, lr in models]
    return [(tag, _run(sizes, L, N, rs, seeds, lrs, steps)) for L, N in pairs]


def lr_sweep_groups(sizes: Any, seed: int) -> list[tuple[str, TrainConfig]]:
    """The learning-rate sweep: one run per ``(L, N)`` of :func:`sweep`, holding every rank at
    every rate of ``sizes.lr_grid``, all from one seed of the ``"lr sweep"`` stream (so rates are
    compared on the same initialisation and data, and no reported replicate is reused)."""
    return _sweep_runs(sizes, seed, sweep(sizes.layers, sizes.Ns), sizes.steps, SWEEP_TAG)


def control_sweep_groups(sizes: Any, seed: int) -> list[tuple[str, TrainConfig]]:
    """The budget control's own rate sweep, as :func:`lr_sweep_groups` but for the groups of
    :func:`control_sweep` at ``sizes.control_steps`` (the best rate moves with the budget)."""
    return _sweep_runs(sizes, seed, control_sweep(sizes), sizes.control_steps, CONTROL_SWEEP_TAG)


def sweep_errors(runs: Runs, tag: str = SWEEP_TAG) -> dict[SweepKey, float]:
    """The held-out error of the sweep tagged ``tag`` by ``(L, N, r, lr)``."""
    rows = runs.select(tag=tag)
    return {(row["layers"], row["N"], row["rank"], row["lr"]): row["heldout"] for row in rows}


def chosen_lrs(errors: Mapping[SweepKey, float]) -> dict[Key, float]:
    """Per ``(L, N, r)``, the rate of the lowest sweep error (on a tie, the smaller rate); a
    non-finite error (a diverged run) never wins."""
    best: dict[Key, tuple[float, float]] = {}
    for (L, N, r, lr), e in sorted(errors.items()):
        score = e if math.isfinite(e) else math.inf
        if (L, N, r) not in best or score < best[L, N, r][0]:
            best[L, N, r] = (score, lr)
    return {key: lr for key, (_, lr) in best.items()}


def _reported(
    sizes: Any, seed: int, lrs: Mapping[Key, float], pairs: Sequence[tuple[int, int]], steps: int, tag: str
) -> list[tuple[str, TrainConfig]]:
    rs, seeds = group_models(ranks(sizes), model_seeds(seed, sizes.replicates, "replicate"))
    out = []
    for L, N in pairs:
        missing = sorted(r for r in set(rs) if (L, N, r) not in lrs)
        if missing:
            raise KeyError(f"lrs: no rate for L = {L}, N = {N}, r = {missing}")
        out.append((tag, _run(sizes, L, N, rs, seeds, [lrs[L, N, r] for r in rs], steps)))
    return out


def groups(sizes: Any, seed: int, lrs: Mapping[Key, float]) -> list[tuple[str, TrainConfig]]:
    """The reported runs: one ``("depth", config)`` per ``(L, N)`` of :func:`sweep`, holding every
    rank x replicate (:func:`group_models`, the replicates ``model_seeds(seed, n, "replicate")``),
    each model at its rate ``lrs[L, N, r]``, all with the same steps and points per step."""
    return _reported(sizes, seed, lrs, sweep(sizes.layers, sizes.Ns), sizes.steps, DEPTH_TAG)


def control_groups(sizes: Any, seed: int, lrs: Mapping[Key, float]) -> list[tuple[str, TrainConfig]]:
    """The budget control's reported runs: as :func:`groups` (the same replicate seeds) for the
    groups of :func:`control_sweep`, at ``sizes.control_steps`` and the rates ``lrs`` of its own
    sweep."""
    return _reported(sizes, seed, lrs, control_sweep(sizes), sizes.control_steps, CONTROL_TAG)


def planned_groups(sizes: Any, seed: int) -> list[tuple[str, TrainConfig]]:
    """Every run of the page before the sweeps have chosen the rates: both sweeps, and the
    reported and control runs at the grid's first rate (their shapes, work and memory do not
    depend on the rates)."""
    any_rate = {
        (L, N, r): sizes.lr_grid[0]
        for L, N in sweep(sizes.layers, sizes.Ns) + control_sweep(sizes)
        for r in ranks(sizes)
    }
    return (
        lr_sweep_groups(sizes, seed)
        + groups(sizes, seed, any_rate)
        + control_sweep_groups(sizes, seed)
        + control_groups(sizes, seed, any_rate)
    )


def planned_work(sizes: Any) -> Work:
    """Page 15's training work at ``sizes`` (any profile): the sweeps, the reported runs and the
    budget control, without training anything."""
    return total(cfg.work() for cfg in unique_groups(planned_groups(sizes, seed=0)))


def heldout_errors(runs: Runs, tag: str = DEPTH_TAG) -> dict[Key, list[float]]:
    """The held-out error of every replicate of the runs tagged ``tag``, by ``(L, N, r)``."""
    out: dict[Key, list[float]] = {}
    for row in runs.select(tag=tag):
        out.setdefault((row["layers"], row["N"], row["rank"]), []).append(row["heldout"])
    return out


def summarize(errors: Mapping[Key, Sequence[float]], reduce: str = "median") -> dict[Key, float]:
    """One number per ``(L, N, r)`` from its replicates: ``"median"`` or ``"min"`` (the best
    seed, the paper's convention)."""
    check_choice("reduce", reduce, REDUCTIONS)
    out = {}
    for key, values in errors.items():
        if len(values) == 0:
            raise ValueError(f"no replicate errors for {key}")
        out[key] = float(min(values)) if reduce == "min" else float(median(values))
    return out


def error_ratio(errors: Mapping[Key, float], full_rank: int) -> dict[Key, float]:
    """Low-rank error over the full-rank error of the same ``(L, N)``, for every low rank."""
    out = {}
    for (L, N, r), e in errors.items():
        if r == full_rank:
            continue
        if (L, N, full_rank) not in errors:
            raise KeyError(f"no full-rank (r = {full_rank}) error for L = {L}, N = {N}")
        full = errors[L, N, full_rank]
        if full <= 0:
            raise ValueError(f"full-rank error must be positive; got {full} at L = {L}, N = {N}")
        out[L, N, r] = e / full
    return out


def to_one_layer(errors: Mapping[Key, float]) -> dict[Key, float]:
    """For every deeper model, its error over the one-layer error of the same ``(N, r)``: below 1,
    depth lowers the error (by that factor)."""
    out = {}
    for (L, N, r), e in errors.items():
        if L == 1:
            continue
        if (1, N, r) not in errors:
            raise KeyError(f"no one-layer error for N = {N}, r = {r}")
        one = errors[1, N, r]
        if one <= 0:
            raise ValueError(f"one-layer error must be positive; got {one} at N = {N}, r = {r}")
        out[L, N, r] = e / one
    return out


def gain_kept(ratio: Mapping[Key, float], L: int, r: int, N_from: int, N_to: int) -> float:
    """The share of depth's gain at ``N_from`` left at ``N_to``, in log error:
    ``log ratio[L, N_to, r] / log ratio[L, N_from, r]`` for ``ratio`` of :func:`to_one_layer`.
    1: the same factor, 0: no gain left, negative: depth hurts at ``N_to``. Needs a gain at
    ``N_from`` (a ratio below 1)."""
    start = ratio[L, N_from, r]
    if not 0 < start < 1:
        raise ValueError(f"no gain from depth at N = {N_from} (ratio {start}); gain_kept needs one")
    return math.log(ratio[L, N_to, r]) / math.log(start)


def series(values: Mapping[Key, float], L: int, r: int) -> tuple[list[int], list[float]]:
    """``(Ns, values)`` of one depth and rank, by increasing ``N``."""
    Ns = sorted(N for (L_, N, r_) in values if (L_, r_) == (L, r))
    return Ns, [values[L, N, r] for N in Ns]
