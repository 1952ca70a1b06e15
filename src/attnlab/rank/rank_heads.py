"""Rank against heads in training (page 12): the paper's fig1, figN and fig3 as batched groups.

Amsel, Yehudai and Bruna train encoders on the farthest-neighbour task and find that one
full-rank head beats many low-rank heads, even with more parameters. Page 12 trains, as one
sweep (:func:`attnlab.rank.runs.train_groups`), the groups of :func:`groups`:

* ``fig1``: one and more layers, every rank, width multipliers ``c`` (more heads), under both
  data protocols;
* ``figN``: the error against the context length ``N`` at a fixed number of points per step;
* ``fig3``: every depth and positional encoding (:func:`fig3_ranks`).

:func:`planned_work` is the page's work at any profile, nothing trained; :func:`loss_curve` and
:func:`late_drop` read the training curves back from the table of trained models.
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
