"""Rank against heads in training (page 12): the paper's fig1, figN and fig3 as batched groups.

Amsel, Yehudai and Bruna train encoders on the farthest-neighbour task and find that one
full-rank head beats many low-rank heads, even with more parameters. Page 12 trains, as one
sweep (:func:`attnlab.rank.runs.train_groups`), the groups of :func:`groups`:

* ``fig1``: one and more layers, every rank, width multipliers ``c`` (more heads), under both
  data protocols, and the head sweep at fixed rank (``more_heads``, fresh data);
* ``figN``: the error against the context length ``N`` at a fixed number of points per step;
* ``fig3``: every depth and positional encoding (:func:`fig3_ranks`).

:func:`planned_work` is the page's work at any profile, nothing trained; :func:`head_sweep` reads
the head sweep at fixed rank back from the table of trained models, :func:`loss_curve` and
:func:`late_drop` the training curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attnlab.rank.config import TrainConfig
from attnlab.rank.encoder import EncoderConfig
from attnlab.rank.runs import unique_groups
from attnlab.runtime.runs import Runs
from attnlab.runtime.seeds import derive_seed, model_seeds
from attnlab.runtime.work import Work, total


def fig3_ranks(sizes: Any, positional: str) -> tuple[int, ...]:
    """fig3's ranks: the profile's, with concatenated coordinates optionally also the widened
    model's full rank ``d + pos_dim`` (one head), as in the authors' sweep."""
    f3 = sizes.fig3
    if positional == "concatenated" and f3.widened_full_rank:
        return (sizes.d + f3.pos_dim, *f3.ranks)
    return tuple(f3.ranks)


def groups(sizes: Any, seed: int) -> list[tuple[str, TrainConfig]]:
    """Page 12's batched groups ``(tag, config)`` at the sizes ``sizes("12_training_rank_heads", p)``.

    ``fig1``: every ``(layers, c, ranks)`` group, both protocols in one run; ``figN``: fresh
    data, ``batch = points // N``; ``fig3``: every depth and positional encoding. The models'
    seeds are the page's replicates (``model_seeds(seed, n, "replicate")``); the replay models
    share the one initialisation ``derive_seed(seed, "replay init")``, as the authors' fixed seed.
    """
    seeds = model_seeds(seed, sizes.seeds, "replicate")
    init_seed = derive_seed(seed, "replay init")
    common = dict(
        steps_per_epoch=sizes.steps_per_epoch,
        eval_batches=sizes.eval_batches,
        init_seed=init_seed,
    )

    def group(tag, N, layers, c, ranks, protocols=("fresh",), *, lr, steps, batch, **shape):
        models = [(p, r, s) for p in protocols for r in ranks for s in seeds]
        cfg = TrainConfig(
            model=EncoderConfig(d=sizes.d, N=N, layers=layers, c=c, ff=sizes.ff, **shape),
            ranks=tuple(r for _, r, _ in models),
            seeds=tuple(s for _, _, s in models),
            protocol=tuple(p for p, _, _ in models),
            lr=lr or sizes.lr,
            steps=steps or sizes.steps,
            batch=batch or sizes.batch,
            **common,
        )
        return tag, cfg

    f1, fN, f3 = sizes.fig1, sizes.figN, sizes.fig3
    out = []
    for layers, c, ranks in f1.groups:
        protocols = tuple(f1.protocols)
        out.append(group("fig1", f1.N, layers, c, ranks, protocols, lr=None, steps=None, batch=None))
    for c in f1.more_heads:  # the head sweep at fixed rank: one layer, fresh data
        out.append(group("fig1", f1.N, 1, c, f1.more_heads_ranks, lr=None, steps=None, batch=None))
    for N in fN.Ns:
        batch = fN.points // N if fN.points else None
        out.append(group("figN", N, fN.layers, fN.c, fN.ranks, lr=fN.lr, steps=fN.steps, batch=batch))
    for layers in f3.layers:
        for pos in f3.positional:
            extra = {"positional": pos, "pos_dim": f3.pos_dim if pos == "concatenated" else None}
            out.append(
                group(
                    "fig3",
                    f3.N,
                    layers,
                    f3.c,
                    fig3_ranks(sizes, pos),
                    lr=f3.lr,
                    steps=f3.steps,
                    batch=None,
                    **extra,
                )
            )
    return out


def planned_work(sizes: Any) -> Work:
    """Page 12's training work at ``sizes`` (any profile), without training: the runs of
    :func:`~attnlab.rank.runs.unique_groups` of :func:`groups` (the seeds do not change the work)."""
    return total(cfg.work() for cfg in unique_groups(groups(sizes, seed=0)))


def loss_curve(runs: Runs, **where: Any) -> list[float]:
    """Per epoch, the smallest epoch-mean training loss over the models of ``runs`` matching
    ``where`` (as :meth:`~attnlab.runtime.runs.Runs.select`)."""
    return [min(epoch) for epoch in zip(*runs.values("epoch_loss", **where), strict=True)]


def late_drop(curve: Sequence[float]) -> float:
    """The fraction of the error at mid-training that the second half of training removes:
    ``1 - curve[-1] / curve[mid]``, ``mid`` the last epoch of the first half.

    NaN for a curve of fewer than 2 epochs (a smoke run): no half of training to compare, and
    a claim made on a NaN fails.
    """
    if len(curve) < 2:
        return float("nan")
    return 1 - curve[-1] / curve[len(curve) // 2 - 1]


def head_sweep(runs: Runs, d: int) -> dict[int, dict[int, float]]:
    """The head sweep at fixed rank: ``{rank: {c: error}}``, the best held-out error over seeds of
    every one-layer fig1 model trained on fresh data, for every rank below full (``d``) trained at
    more than one width multiplier ``c`` (``c d / r`` heads of dimension ``r``)."""
    errors: dict[int, dict[int, float]] = {}
    for row in runs.select(tag="fig1", layers=1, protocol="fresh"):
        if row["rank"] < d:
            errors.setdefault(row["rank"], {})[row["c"]] = runs.best(
                "heldout", tag="fig1", layers=1, protocol="fresh", c=row["c"], rank=row["rank"]
            )
    return {r: dict(sorted(by_c.items())) for r, by_c in sorted(errors.items()) if len(by_c) > 1}


def gap_closed(errors: dict[int, float], full: float) -> float:
    """The fraction of the gap to full rank that the most heads close at one rank:
    ``(e(c_min) - e(c_max)) / (e(c_min) - full)`` for ``errors = {c: error}``; negative where more
    heads made the error worse."""
    low, high = errors[min(errors)], errors[max(errors)]
    return (low - high) / (low - full)
