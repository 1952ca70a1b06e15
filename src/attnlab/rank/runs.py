"""A page's training runs: listed as groups, trained as one sweep, read as a table of models.

A page lists its runs as ``(tag, config)`` groups, one per figure arm (page 12:
:func:`attnlab.rank.rank_heads.groups`; page 15: :func:`attnlab.rank.depth.groups`). Two groups
may hold the same model (the same one-model configuration), which is trained once
(:func:`unique_groups`). :func:`train_groups` trains what is left as one
:func:`~attnlab.rank.train.train_sweep` and files every model of every group as a row of an
:class:`attnlab.runtime.runs.Runs` table, which the page reads by identity
(``runs.best("heldout", tag="figN", N=16, rank=1)``), never by position.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch

from attnlab.rank.config import TrainConfig
from attnlab.rank.train import train_sweep
from attnlab.runtime.runs import Runs

RESULT_FIELDS = ("metric", "final", "heldout", "replayed_final", "epoch_loss", "qk_angle", "qk_scale")
"""The per-model results of a run that a row keeps (see :func:`~attnlab.rank.train.train_run`)."""


def unique_groups(groups: Iterable[tuple[str, TrainConfig]]) -> list[TrainConfig]:
    """The batched runs to train for ``groups`` of ``(tag, config)``: each group less the models
    an earlier group already trains (the same one-model configuration), empty groups dropped."""
    seen: set[TrainConfig] = set()
    out = []
    for _, cfg in groups:
        keep = [k for k, one in enumerate(cfg.models()) if one not in seen]
        seen.update(cfg.models())
        if keep:
            out.append(cfg.subset(keep))
    return out


def train_groups(
    groups: Sequence[tuple[str, TrainConfig]],
    device: torch.device | str = "cpu",
    *,
    namespace: str = "rank_heads",
    desc: str = "runs",
) -> Runs:
    """Train ``groups`` as one sweep of their :func:`unique_groups` and file every model."""
    trained = unique_groups(groups)
    results = train_sweep(trained, device, namespace=namespace, desc=desc)
    return runs_from_results(groups, trained, results)


def runs_from_results(
    groups: Sequence[tuple[str, TrainConfig]],
    trained: Sequence[TrainConfig],
    results: Sequence[Mapping[str, Any]],
) -> Runs:
    """The table of the models of ``groups``, from the ``results`` of the runs ``trained`` (one
    each): a row per model of each group, with its identity (``tag, protocol, N, layers, c,
    positional, rank, seed``), its run's ``ms_per_step`` and its :data:`RESULT_FIELDS`."""
    by_model = {}
    for cfg, out in zip(trained, results, strict=True):
        for k, one in enumerate(cfg.models()):
            by_model[one] = {f: out[f][k] for f in RESULT_FIELDS} | {"ms_per_step": out["ms_per_step"]}
    rows = []
    for tag, cfg in groups:
        for one in cfg.models():
            identity = dict(
                tag=tag,
                protocol=one.protocol,
                N=one.model.N,
                layers=one.model.layers,
                c=one.model.c,
                positional=one.model.positional,
                rank=one.ranks[0],
                seed=one.seeds[0],
                lr=one.lrs()[0],
            )
            rows.append(identity | by_model[one])
    return Runs(rows)
