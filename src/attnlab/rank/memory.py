"""Memory planning: how many of a run's models fit in one training pass on a device.

:func:`~attnlab.rank.train.train` stacks a run's ``K`` models into one batched model; at large
shapes (the paper profile on one GPU, or a laptop's CPU) they do not all fit at once, so the run
is split into passes of as many models as the device's memory budget holds. A model trains the
same in any pass, so the plan changes how long a run takes, never what it computes. The plan
rests on a measured forward pass, not a model of the kernels: :func:`kept_per_sequence` counts
what autograd keeps per sequence, whatever attention kernel the device picks, and
:func:`step_memory` turns it into the peak of a training step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import torch

from attnlab._checks import check_int
from attnlab.rank.config import TrainConfig
from attnlab.rank.encoder import BatchedEncoder
from attnlab.rank.tasks import sphere
from attnlab.runtime.device import MEMORY_ENV, default_device, memory_budget
from attnlab.runtime.seeds import generator


@functools.lru_cache(maxsize=256)
def _measured_memory(one: TrainConfig, device: torch.device, path: str | None = None) -> tuple[int, int]:
    """Kept activation bytes per sequence and parameter bytes of the one model ``one``
    (see :func:`step_memory`), its attention on ``path`` (None: the encoder's choice)."""
    model = one.build().to(device)
    model.path = path
    per_sequence = kept_per_sequence(model, device, bf16=one.precision == "bfloat16")
    parameters = sum(p.numel() * p.element_size() for p in model.parameters())
    return per_sequence, parameters


def kept_per_sequence(model: BatchedEncoder, device: torch.device, *, bf16: bool = False) -> int:
    """Bytes autograd keeps for the backward pass per sequence of ``model`` (one model, ``K = 1``):
    every distinct non-parameter storage saved in a forward pass on 2 sequences less that on 1."""
    weights = {p.untyped_storage().data_ptr() for p in model.parameters()}

    def kept(batch: int) -> int:
        storages: dict[int, int] = {}

        def pack(t: torch.Tensor) -> torch.Tensor:
            storage = t.untyped_storage()
            if storage.data_ptr() not in weights:
                storages[storage.data_ptr()] = storage.nbytes()
            return t

        x = sphere(batch, model.N, d=model.d, gen=generator(0, device)).unsqueeze(0)  # (1, B, N, d)
        with (
            torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16),
        ):
            model(x)
        return sum(storages.values())

    return max(0, kept(2) - kept(1))


def step_memory(cfg: TrainConfig, device: torch.device | str = "cpu", path: str | None = None) -> int:
    """Planned peak bytes of one model of ``cfg`` in a training step at ``cfg.batch``: three times
    the activations autograd keeps for its backward pass, plus four copies of its parameters
    (weights, gradients and AdamW's two moments).

    The kept activations are measured, not modelled: one model of the smallest rank (the most
    heads) runs forward on 1 and on 2 sequences on ``device`` while a ``saved_tensors_hooks``
    pair records every distinct storage autograd keeps that is not a parameter; the difference
    is the cost of one sequence, whatever kernels the device picks. The factor 3 covers the
    forward's temporaries and the gradients the backward pass holds while it frees the
    activations, so the plan stays above a real step's resident peak. ``path`` forces an
    attention kernel (:func:`~attnlab.rank.small_heads.attention_path`; None: the one training
    uses), to compare the plans of two kernels.
    """
    # the shape alone decides the memory: one canonical model, measured once per process
    one = replace(
        cfg, ranks=(min(cfg.ranks),), seeds=(0,), protocol="fresh", init_seed=0, batch=1, steps=1, lr=0.01
    )
    per_sequence, parameters = _measured_memory(one, default_device(device), path)
    return 3 * per_sequence * cfg.batch + 4 * parameters


def models_per_pass(cfg: TrainConfig, device: torch.device | str = "cpu", memory: int | None = None) -> int:
    """How many of ``cfg``'s models :func:`~attnlab.rank.train.train` puts in one pass: as many
    as :func:`step_memory` fits into ``memory`` bytes (default
    :func:`~attnlab.runtime.device.memory_budget`), at most ``K``. Raises ``ValueError`` naming
    ``batch`` when one model alone does not fit."""
    device = default_device(device)
    budget = memory_budget(device) if memory is None else check_int("memory", memory, low=1)
    need = step_memory(cfg, device)
    per_pass = _models_that_fit(cfg.K, need, budget)
    if per_pass is None:
        raise ValueError(
            f"batch: one model of this run (N={cfg.model.N}, layers={cfg.model.layers}, "
            f"c={cfg.model.c}, ff={cfg.model.ff}, rank {min(cfg.ranks)}) needs about "
            f"{need / 2**30:.1f} GiB for a training step at batch={cfg.batch}, more than the memory "
            f"budget of {budget / 2**30:.1f} GiB on {device.type}; lower batch, "
            f"or set {MEMORY_ENV} if the device has more"
        )
    return per_pass


def _models_that_fit(K: int, need: int, budget: int) -> int | None:
    """Models of ``need`` bytes each that fit in ``budget`` (at most ``K``); ``None`` if not one."""
    return min(K, budget // need) if need <= budget else None


def split_into_passes(cfg: TrainConfig, per_pass: int) -> list[TrainConfig]:
    """``cfg``'s models in order, ``per_pass`` to a run (the last one may hold fewer)."""
    check_int("per_pass", per_pass, low=1)
    return [cfg.subset(range(start, min(cfg.K, start + per_pass))) for start in range(0, cfg.K, per_pass)]


def memory_plan(
    cfgs: Iterable[TrainConfig], memory: int, device: torch.device | str = "cpu", path: str | None = None
) -> list[dict[str, Any]]:
    """How :func:`~attnlab.rank.train.train` would split each run of ``cfgs`` under a budget of
    ``memory`` bytes, without training: per run its shape, ``K``, ``per_model`` bytes
    (:func:`step_memory`), ``per_pass`` models and ``passes`` (both ``None`` where one model alone
    does not fit); ``path`` as in :func:`step_memory`."""
    check_int("memory", memory, low=1)
    plan = []
    for cfg in cfgs:
        need = step_memory(cfg, device, path)
        per_pass = _models_that_fit(cfg.K, need, memory)
        plan.append(
            dict(
                N=cfg.model.N,
                layers=cfg.model.layers,
                c=cfg.model.c,
                width=cfg.model.width,
                batch=cfg.batch,
                K=cfg.K,
                per_model=need,
                per_pass=per_pass,
                passes=math.ceil(cfg.K / per_pass) if per_pass else None,
            )
        )
    return plan
