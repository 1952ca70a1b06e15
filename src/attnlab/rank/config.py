"""One batched training run of the rank chapter: its configuration, schedule and cost.

A :class:`TrainConfig` names ``K`` models trained together, all of one shape
(:class:`~attnlab.rank.encoder.EncoderConfig`, its ``model``) and one rank and seed each, on the
farthest-neighbour task with the authors' recipe (Amsel, Yehudai and Bruna 2024): the learning
rate rises linearly over the first 1/20 of training, then follows a cosine to 0.

Two data protocols (``TrainConfig.protocol``, per model if wanted):

* ``"fresh"`` (attnlab's default): fresh samples every step, each model initialised from its own
  seed, the rate moved every step along the warm-up/cosine curve (:func:`lr_factor`). Every
  batch is new to the model, so the training loss is an error on unseen data.
* ``"replay"`` (the authors' code, ``NoahAmsel/attention-formers``): with ``data.seed`` set,
  their data module re-seeds its generator whenever an epoch's iterator is created, so every
  epoch replays the same ``steps_per_epoch x batch`` instances, and the logged loss is the loss
  on that finite, memorisable set. Their ``LinearWarmupCosineAnnealingLR`` is stepped once per
  epoch, with the first epoch at rate 0 (:func:`epoch_lr_factor`); every run of a configuration
  starts from the same weights (a fixed ``seed_everything``; here ``init_seed``), only the data
  seed differing.

A run's cost is planned from its configuration alone: :func:`step_flops` is the one FLOP
formula of a training step, and :meth:`TrainConfig.work` the run's models, steps and FLOPs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from attnlab._checks import check_choice, check_float, check_int
from attnlab.rank.encoder import BatchedEncoder, EncoderConfig
from attnlab.runtime.sweep import SweepConfig
from attnlab.runtime.work import Work

PROTOCOLS = ("fresh", "replay")


@dataclass(frozen=True)
class TrainConfig(SweepConfig):
    """One batched training run: ``K = len(ranks)`` models (``ranks[k]`` with ``seeds[k]``).

    Args:
        model: the shape all ``K`` models share: points on ``S^{d-1}``, their number ``N``,
            layers, width multiplier, feed-forward width, positional encoding.
        ranks, seeds: per model: its query/key rank (dividing ``model.width``) and its seed.
        batch: instances per step; steps: total steps; steps_per_epoch: the metric's epoch.
        lr: peak learning rate, or one per model (models of one run may then train at
            different rates: AdamW without weight decay moves a parameter by the rate times a
            step that does not depend on it, so each model's move is scaled).
        warmup: fraction of steps of linear warm-up (``"fresh"`` only).
        protocol: ``"fresh"`` or ``"replay"`` (see the module docstring), or one per model; a
            batch may mix them (each model keeps its own data, initialisation and schedule).
        init_seed: the one initialisation seed of every ``"replay"`` model (``seeds`` then
            seed only its data).
        eval_batches: held-out batches (of ``batch`` instances) for the final ``heldout`` error.
        precision: ``"float32"`` (default) or, opt-in, ``"bfloat16"``: matrix products under
            ``torch.autocast`` in bfloat16 (parameters, optimizer and loss stay float32); faster
            where the CPU/GPU has bfloat16 units, and the numbers change.
        compile: opt-in ``torch.compile`` of the model: its compile time pays off only on long
            runs (the ``paper`` profile).
    """

    model: EncoderConfig
    ranks: tuple[int, ...]
    seeds: tuple[int, ...]
    batch: int = 256
    steps: int = 1500
    steps_per_epoch: int = 100
    lr: float | tuple[float, ...] = 0.01
    warmup: float = 1 / 20
    precision: str = "float32"
    compile: bool = False
    protocol: str | tuple[str, ...] = "fresh"
    init_seed: int = 0
    eval_batches: int = 16

    def __post_init__(self) -> None:
        """Every field is checked on construction: a bad value raises ``ValueError`` naming it."""
        if not isinstance(self.model, EncoderConfig):
            raise TypeError(f"model must be an EncoderConfig, got {type(self.model).__name__}")
        if not self.ranks or len(self.ranks) != len(self.seeds):
            raise ValueError(
                "ranks and seeds must be non-empty and of equal length (one model each), "
                f"got {len(self.ranks)} ranks and {len(self.seeds)} seeds"
            )
        width = self.model.width
        for r in self.ranks:  # the encoder splits its width into heads of rank r
            check_int("ranks", r, low=1, high=width)
            if width % r:
                raise ValueError(f"ranks must divide the model width {width}; got {r}")
        for seed in self.seeds:
            check_int("seeds", seed, low=0)
        check_int("batch", self.batch, low=1)
        check_int("steps", self.steps, low=1)
        check_int("steps_per_epoch", self.steps_per_epoch, low=1)
        self.lrs()
        check_float("warmup", self.warmup, low=0.0, high=1.0)
        check_choice("precision", self.precision, ("float32", "bfloat16"))
        check_int("init_seed", self.init_seed, low=0)
        check_int("eval_batches", self.eval_batches, low=1)
        self.protocols()

    @property
    def K(self) -> int:
        """Models trained together."""
        return len(self.ranks)

    def step_flops(self) -> float:
        """FLOPs of one training step of all ``K`` models (:func:`step_flops`)."""
        m = self.model
        return step_flops(d=m.width, N=m.N, batch=self.batch, layers=m.layers, c=m.c, ff=m.ff, K=self.K)

    def flops(self) -> float:
        """Training FLOPs of the whole run: ``steps`` steps of :meth:`step_flops`."""
        return self.steps * self.step_flops()

    def work(self) -> Work:
        """The run's work: ``K`` models, ``steps`` optimiser steps (its models step together) and
        :meth:`flops`; a page's runs add up with :func:`attnlab.runtime.work.total`."""
        return Work(self.K, self.steps, self.flops())

    def models(self) -> list[TrainConfig]:
        """Each model alone, as a one-model configuration (trained alone, it trains the same)."""
        return [
            replace(self, ranks=(r,), seeds=(s,), protocol=p, lr=lr)
            for r, s, p, lr in zip(self.ranks, self.seeds, self.protocols(), self.lrs(), strict=True)
        ]

    def subset(self, indices: Iterable[int]) -> TrainConfig:
        """The run of models ``indices`` only (each keeps its rank, seed and protocol)."""
        idx = list(indices)
        if not idx:
            raise ValueError("indices: at least one model")
        for k in idx:
            check_int("indices", k, low=0, high=self.K - 1)
        protocols, lrs = self.protocols(), self.lrs()
        return replace(
            self,
            ranks=tuple(self.ranks[k] for k in idx),
            seeds=tuple(self.seeds[k] for k in idx),
            protocol=tuple(protocols[k] for k in idx),
            lr=self.lr if not isinstance(self.lr, tuple) else tuple(lrs[k] for k in idx),
        )

    def protocols(self) -> tuple[str, ...]:
        """The protocol of each of the ``K`` models."""
        if isinstance(self.protocol, str):
            return (check_choice("protocol", self.protocol, PROTOCOLS),) * len(self.ranks)
        if len(self.protocol) != len(self.ranks):
            raise ValueError(f"protocol: one per model ({len(self.ranks)}); got {self.protocol}")
        return tuple(check_choice("protocol", p, PROTOCOLS) for p in self.protocol)

    def lrs(self) -> tuple[float, ...]:
        """The peak learning rate of each of the ``K`` models (each checked positive)."""
        if isinstance(self.lr, tuple):
            if len(self.lr) != len(self.ranks):
                raise ValueError(f"lr: one per model ({len(self.ranks)}); got {self.lr}")
            return tuple(check_float("lr", v, low=0.0, strict_low=True) for v in self.lr)
        return (check_float("lr", self.lr, low=0.0, strict_low=True),) * len(self.ranks)

    @property
    def peak_lr(self) -> float:
        """The optimizer's rate: the largest model's; the others' moves are scaled (:meth:`lr_factors`)."""
        return max(self.lrs())

    def shared_schedule(self) -> bool:
        """Whether every model follows the same rate at every step (one protocol, one rate)."""
        return len(set(self.protocols())) == 1 and len(set(self.lrs())) == 1

    def init_seeds(self) -> tuple[int, ...]:
        """Per model, the seed of its initial weights: its own seed, or ``init_seed`` under ``"replay"``."""
        return tuple(
            self.init_seed if p == "replay" else s for p, s in zip(self.protocols(), self.seeds, strict=True)
        )

    def epochs(self) -> int:
        return math.ceil(self.steps / self.steps_per_epoch)

    def lr_factors(self, step: int) -> list[float]:
        """Per model, its rate at training step ``step`` (0-based) as a factor of :attr:`peak_lr`."""
        fresh = lr_factor(step, self.steps, self.warmup)
        replay = epoch_lr_factor(step // self.steps_per_epoch, self.epochs())
        peak = self.peak_lr
        return [
            (fresh if p == "fresh" else replay) * (lr / peak)
            for p, lr in zip(self.protocols(), self.lrs(), strict=True)
        ]

    def build(self) -> BatchedEncoder:
        """The ``K`` models at their initial weights (:meth:`init_seeds`)."""
        return self.model.build(self.ranks, self.init_seeds())


def lr_factor(step: int, steps: int, warmup: float) -> float:
    """Linear warm-up over ``ceil(warmup * steps)`` steps, then cosine from 1 to 0."""
    warm = max(1, math.ceil(warmup * steps))
    if step < warm:
        return (step + 1) / warm
    return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


def epoch_lr_factor(epoch: int, epochs: int) -> float:
    """The authors' per-epoch schedule (``LinearWarmupCosineAnnealingLR`` stepped once per epoch,
    ``warmup_epochs = epochs // 20``, ``eta_min = lr // 10 = 0``): epoch 0 at rate 0, a linear
    rise to 1 at epoch ``W - 1``, then ``(1 + cos(pi (e - W) / (epochs - W))) / 2``.

    With fewer than 20 epochs their ``epochs // 20`` is 0 and their (multiplicative) scheduler
    would keep the rate at 0 for ever; we take ``W = max(1, epochs // 20)``: epoch 0 at rate 0,
    then the cosine from 1.
    """
    warm = max(1, epochs // 20)
    if epoch == 0:
        return 0.0
    if epoch < warm:
        return epoch / (warm - 1)
    return 0.5 * (1 + math.cos(math.pi * (epoch - warm) / max(1, epochs - warm)))


def step_flops_parts(
    *, d: int, N: int, batch: int, layers: int, c: int, ff: int, K: int = 1
) -> dict[str, float]:
    """:func:`step_flops` split by the products it counts: ``projections`` (q, k, v and output),
    ``attention`` (scores and probabilities x values) and ``feed_forward``.

    :func:`step_flops` is their sum; their shares say which products a step's arithmetic is
    made of, e.g. whether the feed-forward layer dominates at a given ``c``.
    """
    for name, value in (
        ("d", d),
        ("N", N),
        ("batch", batch),
        ("layers", layers),
        ("c", c),
        ("ff", ff),
        ("K", K),
    ):
        check_int(name, value, low=1)
    T, D, E = batch * N, d, c * d
    scale = 3.0 * layers * K  # backward: two products per forward product
    return {
        "projections": scale * (2 * T * D * 3 * E + 2 * T * E * D),
        "attention": scale * 4 * batch * N * N * E,
        "feed_forward": scale * 4 * T * D * ff,
    }


def flop_shares(*, d: int, N: int, batch: int, layers: int, c: int, ff: int) -> dict[str, float]:
    """Each part of :func:`step_flops_parts` as a fraction of the step's FLOPs (they sum to 1)."""
    parts = step_flops_parts(d=d, N=N, batch=batch, layers=layers, c=c, ff=ff)
    total = sum(parts.values())
    return {name: flops / total for name, flops in parts.items()}


def step_flops(*, d: int, N: int, batch: int, layers: int, c: int, ff: int, K: int = 1) -> float:
    """Analytic FLOPs of one training step (multiply-add = 2 FLOPs; backward = 2 x forward).

    Per layer and model, with tokens ``T = B N``, width ``D = d`` and ``E = c D`` q/k/v
    coordinates (``c H`` heads of rank ``r``, ``H r = D``)::

        forward = 2 T D (3E)        q, k, v projection
                + 2 B N^2 E         scores  (c H heads x N x N x r)
                + 2 B N^2 E         probabilities x values
                + 2 T E D           output projection
                + 4 T D ff          feed-forward (two matrices)
        step    = 3 * forward       (backward: two products per forward product)

    Elementwise work (softmax, norms, ReLU, AdamW) is not counted.
    """
    return sum(step_flops_parts(d=d, N=N, batch=batch, layers=layers, c=c, ff=ff, K=K).values())
