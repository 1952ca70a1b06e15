"""Depth against low rank at growing context length (page 15), the sweep and its summaries.

Amsel, Yehudai and Bruna conjecture that for long contexts full-rank attention is necessary
whatever the depth. Page 15 trains, for every depth ``L`` and context length ``N``, one batched
group of models (every rank, several replicate seeds) on the farthest-neighbour task with the
same budget (steps, and points ``N x batch`` per step), and compares each low-rank model with the
full-rank model of the same depth. This module holds the pieces that are not plotting:

* :func:`sweep` lists the batched groups ``(L, N)`` and :func:`group_models` the models of one
  group (ranks x replicate seeds, in the order :class:`~attnlab.rank.config.TrainConfig` takes them);
  :func:`batch_for` turns the points per step into sequences per step; :func:`groups` builds
  the page's configurations from its sizes, :func:`planned_work` their work (any profile,
  nothing trained) and :func:`heldout_errors` reads the trained models back by ``(L, N, r)``.
* :func:`summarize` reduces the replicates of each ``(L, N, r)`` (best, as the paper reports, or
  median); :func:`error_ratio` gives the low-rank / full-rank error ratio; :func:`gap_closed`
  the fraction of the way from the x-alone baseline down to full rank that a model covers
  (1: as good as full rank, 0: no better than ignoring the other points).
"""

from __future__ import annotations

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
REDUCTIONS = ("min", "median")


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


def batch_for(N: int, points: int) -> int:
    """Sequences per step so that every ``N`` sees about ``points`` points per step (at least 1)."""
    check_int("N", N, low=2)
    check_int("points", points, low=1)
    return max(1, points // N)


def groups(sizes: Any, seed: int) -> list[tuple[str, TrainConfig]]:
    """Page 15's runs at ``sizes("15_depth_long_context", profile)``: one ``("depth", config)``
    per ``(L, N)`` of :func:`sweep`, holding every rank x replicate (:func:`group_models`, the
    replicates ``model_seeds(seed, n, "replicate")``), all with the same steps and points per
    step, at the depth's learning rate ``sizes.lr[L]``."""
    ranks, seeds = group_models(sizes.ranks, model_seeds(seed, sizes.replicates, "replicate"))
    return [
        (
            "depth",
            TrainConfig(
                model=EncoderConfig(d=sizes.d, N=N, layers=L, ff=sizes.ff),
                ranks=ranks,
                seeds=seeds,
                batch=batch_for(N, sizes.points),
                steps=sizes.steps,
                steps_per_epoch=sizes.steps_per_epoch,
                lr=sizes.lr[L],
                eval_batches=sizes.eval_batches,
            ),
        )
        for L, N in sweep(sizes.layers, sizes.Ns)
    ]


def planned_work(sizes: Any) -> Work:
    """Page 15's training work at ``sizes`` (any profile), without training anything."""
    return total(cfg.work() for cfg in unique_groups(groups(sizes, seed=0)))


def heldout_errors(runs: Runs) -> dict[Key, list[float]]:
    """The held-out error of every replicate, by ``(L, N, r)``."""
    out: dict[Key, list[float]] = {}
    for row in runs.rows:
        out.setdefault((row["layers"], row["N"], row["rank"]), []).append(row["heldout"])
    return out


def summarize(errors: Mapping[Key, Sequence[float]], reduce: str = "min") -> dict[Key, float]:
    """One number per ``(L, N, r)`` from its replicates: ``"min"`` (the best seed, the paper's
    convention) or ``"median"``."""
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


def gap_closed(
    errors: Mapping[Key, float], full_rank: int, baseline: Mapping[int, float]
) -> dict[Key, float]:
    """``(baseline[N] - e) / (baseline[N] - e_full)`` for every low rank: the share of the way from
    the x-alone baseline to the full-rank model of the same ``(L, N)`` that the model covers."""
    out = {}
    for (L, N, r), e in errors.items():
        if r == full_rank:
            continue
        span = baseline[N] - errors[L, N, full_rank]
        if span <= 0:
            raise ValueError(f"full rank does not beat the baseline at L = {L}, N = {N}")
        out[L, N, r] = (baseline[N] - e) / span
    return out


def series(values: Mapping[Key, float], L: int, r: int) -> tuple[list[int], list[float]]:
    """``(Ns, values)`` of one depth and rank, by increasing ``N``."""
    Ns = sorted(N for (L_, N, r_) in values if (L_, r_) == (L, r))
    return Ns, [values[L, N, r] for N in Ns]
