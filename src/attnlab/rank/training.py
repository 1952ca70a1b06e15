"""Training on the farthest-neighbour task, the authors' recipe, several models per pass.

Recipe (Amsel, Yehudai and Bruna 2024): AdamW with betas ``(0.9, 0.95)`` and no weight decay;
the learning rate rises linearly over the first 1/20 of training, then follows a cosine to 0.
The loss is the per-point squared error summed over coordinates (``d`` times the mean squared
error), so the zero predictor scores 1. The reported number is the minimum over "epochs"
(blocks of ``steps_per_epoch`` steps) of the epoch-mean training loss, and across seeds the best
of them.

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

After training, every model's error is measured on ``eval_batches x batch`` fresh held-out
instances (``heldout``), and a replay model's loss on its whole replayed set (``replayed_final``).

:func:`train` runs one :class:`~attnlab.rank.encoder.BatchedEncoder` (``K`` models in one pass;
AdamW is element-wise, so stacking models changes nothing) and :func:`run_cached` stores each
finished configuration in the results cache, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from attnlab._checks import check_choice, check_float, check_int
from attnlab.book.device import default_device, keep_freed_memory
from attnlab.book.progress import progress as progress_bar
from attnlab.book.seeds import generator
from attnlab.book.sweep import sweep
from attnlab.rank.encoder import BatchedEncoder
from attnlab.rank.tasks import farthest_labels, sphere

PROTOCOLS = ("fresh", "replay")


@dataclass(frozen=True)
class TrainConfig:
    """One batched training run: ``K = len(ranks)`` models (``ranks[k]`` with ``seeds[k]``).

    Args:
        d, N: points on ``S^{d-1}`` and their number.
        ranks, seeds: per model.
        layers, c, ff, positional, pos_dim: the encoder (see :class:`BatchedEncoder`).
        batch: instances per step; steps: total steps; steps_per_epoch: the metric's epoch.
        lr: peak learning rate; warmup: fraction of steps of linear warm-up (``"fresh"`` only).
        protocol: ``"fresh"`` or ``"replay"`` (see the module docstring), or one per model; a
            batch may mix them (each model keeps its own data, initialisation and schedule).
        init_seed: the one initialisation seed of every ``"replay"`` model (``seeds`` then
            seed only its data).
        eval_batches: held-out batches (of ``batch`` instances) for the final ``heldout`` error.
        precision: ``"float32"`` (default) or, opt-in, ``"bfloat16"``: matrix products under
            ``torch.autocast`` in bfloat16 (parameters, optimizer and loss stay float32); faster
            where the CPU/GPU has bfloat16 units, and the numbers change.
        compile: opt-in ``torch.compile`` of the model. Measured on the 2-core CPU: the compile
            takes 10-25 s and saves 15-20% per step, so it pays off only for long runs (the
            ``paper`` profile), not for the quick profile's 1500-step runs.
    """

    d: int
    N: int
    ranks: tuple[int, ...]
    seeds: tuple[int, ...]
    layers: int = 1
    c: int = 1
    ff: int = 2048
    positional: str = "none"
    pos_dim: int | None = None
    batch: int = 256
    steps: int = 1500
    steps_per_epoch: int = 100
    lr: float = 0.01
    warmup: float = 1 / 20
    precision: str = "float32"
    compile: bool = False
    protocol: str | tuple[str, ...] = "fresh"
    init_seed: int = 0
    eval_batches: int = 16
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Every field is checked on construction: a bad value raises ``ValueError`` naming it."""
        check_int("d", self.d, low=1)
        check_int("N", self.N, low=1)
        if not self.ranks or len(self.ranks) != len(self.seeds):
            raise ValueError(
                "ranks and seeds must be non-empty and of equal length (one model each), "
                f"got {len(self.ranks)} ranks and {len(self.seeds)} seeds"
            )
        for r in self.ranks:
            check_int("ranks", r, low=1, high=self.d + (self.pos_dim or 0))
        for seed in self.seeds:
            check_int("seeds", seed, low=0)
        check_int("layers", self.layers, low=1)
        check_int("c", self.c, low=1)
        check_int("ff", self.ff, low=1)
        check_int("batch", self.batch, low=1)
        check_int("steps", self.steps, low=1)
        check_int("steps_per_epoch", self.steps_per_epoch, low=1)
        check_float("lr", self.lr, low=0.0, strict_low=True)
        check_float("warmup", self.warmup, low=0.0, high=1.0)
        check_choice("precision", self.precision, ("float32", "bfloat16"))
        check_int("init_seed", self.init_seed, low=0)
        check_int("eval_batches", self.eval_batches, low=1)
        self.protocols()

    def protocols(self) -> tuple[str, ...]:
        """The protocol of each of the ``K`` models."""
        if isinstance(self.protocol, str):
            return (check_choice("protocol", self.protocol, PROTOCOLS),) * len(self.ranks)
        if len(self.protocol) != len(self.ranks):
            raise ValueError(f"protocol: one per model ({len(self.ranks)}); got {self.protocol}")
        return tuple(check_choice("protocol", p, PROTOCOLS) for p in self.protocol)

    def init_seeds(self) -> tuple[int, ...]:
        """Per model, the seed of its initial weights: its own seed, or ``init_seed`` under ``"replay"``."""
        return tuple(
            self.init_seed if p == "replay" else s for p, s in zip(self.protocols(), self.seeds, strict=True)
        )

    def epochs(self) -> int:
        return math.ceil(self.steps / self.steps_per_epoch)

    def lr_factors(self, step: int) -> list[float]:
        """Per model, the factor of ``lr`` at training step ``step`` (0-based)."""
        fresh = lr_factor(step, self.steps, self.warmup)
        replay = epoch_lr_factor(step // self.steps_per_epoch, self.epochs())
        return [fresh if p == "fresh" else replay for p in self.protocols()]

    def build(self) -> BatchedEncoder:
        return BatchedEncoder(
            self.d,
            self.N,
            self.ranks,
            self.init_seeds(),
            layers=self.layers,
            c=self.c,
            ff=self.ff,
            positional=self.positional,
            pos_dim=self.pos_dim,
        )


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


def data_generators(seeds: tuple[int, ...], device: torch.device) -> list[torch.Generator]:
    """One data stream per model, derived from its seed (so alone or batched, it sees the same data)."""
    return [generator(1_000_003 + 7919 * s, device) for s in seeds]


def heldout_generators(seeds: tuple[int, ...], device: torch.device) -> list[torch.Generator]:
    """Per model, a data stream disjoint from its training stream (held-out evaluation)."""
    return [generator(500_000_003 + 7919 * s, device) for s in seeds]


def sample(gens: list[torch.Generator], batch: int, N: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Fresh farthest-neighbour data for every model: ``x, target (K, B, N, d)``."""
    x = torch.stack([sphere(batch, N, d=d, gen=g) for g in gens])  # (K, B, N, d)
    target, _ = farthest_labels(x)
    return x, target


def make_optimizer(model: BatchedEncoder, lr: float) -> torch.optim.AdamW:
    """The authors' AdamW (betas (0.9, 0.95), no weight decay), fused: one kernel per parameter
    tensor, and each tensor already holds all ``K`` models."""
    return torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.0, fused=True)


def training_step(
    model: BatchedEncoder,
    opt: torch.optim.Optimizer,
    gens: list[torch.Generator],
    batch: int,
    *,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
    bf16: bool = False,
    lr_scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """One step on the next batch of every model's stream; returns the per-model loss ``(K,)`` (detached).

    ``forward``: the (possibly compiled) model to call (default ``model``); ``bf16``: matrix
    products in bfloat16 under autocast. ``lr_scale (K,)``: per-model factors of the optimizer's
    rate (for models on different schedules): AdamW without weight decay moves a parameter by
    ``lr`` times a step that does not depend on ``lr``, so each model's move is scaled after the
    step (its moment estimates are updated as at any rate, also at factor 0, as in PyTorch).
    """
    x, target = sample(gens, batch, model.N, model.d)  # (K, B, N, d)
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
        y = (model if forward is None else forward)(x)
    loss = ((y.float() - target) ** 2).sum(-1).mean(dim=(1, 2))  # (K,) squared error per point
    opt.zero_grad(set_to_none=True)
    loss.sum().backward()  # models are independent: each gets its own gradient
    if lr_scale is None:
        opt.step()
        return loss.detach()
    params = [(name, p) for name, p in model.named_parameters()]
    before = [p.detach().clone() for _, p in params]
    opt.step()
    with torch.no_grad():
        for (name, p), p0 in zip(params, before, strict=True):
            kdim = 0 if name == "pos" else 1  # where the model index sits
            w = lr_scale.view(*([1] * kdim), -1, *([1] * (p.dim() - kdim - 1)))
            p.copy_(p0.lerp_(p, w))
    return loss.detach()


@torch.no_grad()
def evaluate(
    model: BatchedEncoder,
    gens: list[torch.Generator],
    batch: int,
    batches: int,
    *,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Per-model mean loss ``(K,)`` over the next ``batches`` batches of each model's stream."""
    total = torch.zeros(model.K, device=gens[0].device)
    for _ in range(batches):
        x, target = sample(gens, batch, model.N, model.d)
        y = (model if forward is None else forward)(x)
        total += ((y.float() - target) ** 2).sum(-1).mean(dim=(1, 2))
    return total / batches


def train(
    cfg: TrainConfig,
    device: torch.device | str = "cpu",
    *,
    progress: bool = True,
    desc: str = "",
) -> tuple[dict[str, Any], BatchedEncoder]:
    """Train the ``K`` models of ``cfg`` together; returns ``(result, model)``.

    ``result``: ``epoch_loss`` (K lists of epoch means of the training loss), ``metric`` (per
    model, min over epochs), ``final`` (last epoch's mean), ``heldout`` (the final model's error
    on ``eval_batches`` fresh held-out batches), ``replayed_final`` (a ``"replay"`` model's final
    loss on its replayed set, else ``None``), ``protocol``, ``seconds`` (training only),
    ``ms_per_step``.
    """
    protocols = cfg.protocols()
    if isinstance(device, str):
        check_choice("device", device.split(":")[0], ("cpu", "cuda", "auto"))
        device = default_device(device) if device == "auto" else torch.device(device)
    device = torch.device(device)
    if device.type == "cpu":
        keep_freed_memory()  # reuse warm pages for the large per-step activations
    model = cfg.build().to(device)
    opt = make_optimizer(model, cfg.lr)
    forward = torch.compile(model) if cfg.compile else model
    bf16 = cfg.precision == "bfloat16"
    shared = len(set(protocols)) == 1  # one schedule for all: the scheduler moves the optimizer's rate
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: cfg.lr_factors(t)[0] if shared else 1.0)
    replay = [k for k, p in enumerate(protocols) if p == "replay"]
    gens = data_generators(cfg.seeds, device)
    K = model.K
    running = torch.zeros(K, device=device)
    epochs: list[torch.Tensor] = []
    t0 = time.perf_counter()
    bar = progress_bar(
        range(cfg.steps), desc=desc or f"K={K}", disable=not progress, mininterval=10, leave=False
    )
    for step in bar:
        if replay and step % cfg.steps_per_epoch == 0 and step > 0:  # the authors' re-seeded epoch
            fresh_streams = data_generators(tuple(cfg.seeds[k] for k in replay), device)
            for k, g in zip(replay, fresh_streams, strict=True):
                gens[k] = g
        scale = None if shared else torch.tensor(cfg.lr_factors(step), device=device)
        running += training_step(model, opt, gens, cfg.batch, forward=forward, bf16=bf16, lr_scale=scale)
        sched.step()
        if (step + 1) % cfg.steps_per_epoch == 0 or step + 1 == cfg.steps:
            n = (step % cfg.steps_per_epoch) + 1
            epochs.append(running / n)
            running = torch.zeros(K, device=device)
            bar.set_postfix(best=f"{epochs[-1].min().item():.3f}")
    seconds = time.perf_counter() - t0
    table = torch.stack(epochs, dim=1).cpu()  # (K, epochs)
    held = heldout_generators(cfg.seeds, device)
    heldout = evaluate(model, held, cfg.batch, cfg.eval_batches, forward=forward)
    replayed: list[float | None] = [None] * K
    if replay:  # the whole replayed set: the first steps_per_epoch batches of the training stream
        steps = min(cfg.steps, cfg.steps_per_epoch)
        on_set = evaluate(model, data_generators(cfg.seeds, device), cfg.batch, steps, forward=forward).cpu()
        for k in replay:
            replayed[k] = on_set[k].item()
    result = {
        "epoch_loss": table.tolist(),
        "metric": table.min(dim=1).values.tolist(),
        "final": table[:, -1].tolist(),
        "heldout": heldout.cpu().tolist(),
        "replayed_final": replayed,
        "protocol": list(protocols),
        "seconds": seconds,
        "ms_per_step": 1000 * seconds / cfg.steps,
    }
    return result, model


def angle_to_identity(form: torch.Tensor) -> tuple[float, float]:
    """Angle (degrees) between a matrix ``A`` and ``I`` in the Frobenius inner product, and the
    coefficient ``tr(A) / d`` of its projection onto ``I``. The farthest-neighbour construction
    ``A = -lambda I`` (``lambda > 0``) gives 180° and coefficient ``-lambda``."""
    d = form.shape[-1]
    cos = torch.trace(form) / (form.norm() * math.sqrt(d))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos.item())))), (torch.trace(form) / d).item()


def _qk_summary(cfg: TrainConfig, model: BatchedEncoder) -> dict[str, list]:
    angles, scales = [], []
    for form in model.qk_forms(0):
        if form.shape[0] == 1:
            a, s = angle_to_identity(form[0, : cfg.d, : cfg.d].cpu())
            angles.append(a)
            scales.append(s)
        else:
            angles.append(None)
            scales.append(None)
    return {"qk_angle": angles, "qk_scale": scales}


def config_key(cfg: TrainConfig, device: torch.device | str = "cpu") -> dict[str, Any]:
    """The cache key (and sweep task) of one run: the configuration and the device type."""
    key = asdict(cfg)
    key["device_type"] = torch.device(device).type
    return key


def run_key(key: dict[str, Any]) -> dict[str, Any]:
    """One sweep task: :func:`train` on a key of :func:`config_key`, plus the ``qk`` summary."""
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in key.items() if k != "device_type"}
    cfg = TrainConfig(**fields)
    device = (
        default_device() if key.get("device_type") == "cuda" else torch.device(key.get("device_type", "cpu"))
    )
    result, model = train(
        cfg, device, progress=True, desc=f"N={cfg.N} L={cfg.layers} c={cfg.c} r={cfg.ranks}"
    )
    result.update(_qk_summary(cfg, model))
    return result


def run_sweep(
    cfgs: list[TrainConfig],
    device: torch.device | str = "cpu",
    *,
    desc: str = "runs",
    namespace: str = "rank_heads",
) -> list[dict[str, Any]]:
    """:func:`train` on each configuration through :func:`attnlab.book.sweep.sweep`: results cached,
    an interrupted sweep resumed, and the runs spread over a Ray cluster when one is configured."""
    return sweep(run_key, [config_key(c, device) for c in cfgs], namespace=namespace, desc=desc)


def run_cached(
    cfg: TrainConfig,
    device: torch.device | str = "cpu",
    *,
    progress: bool = True,
    desc: str = "",
    namespace: str = "rank_heads",
) -> dict[str, Any]:
    """:func:`train` through the results cache (keyed by the full configuration), as a sweep of one.

    Also stores, for every model with a single full-rank head in layer 1, the angle between its
    ``W_q W_k^T`` (restricted to the first ``d`` coordinates) and ``I``, and the coefficient
    ``tr(W_q W_k^T) / d`` of its projection onto ``I`` (``-lambda`` for ``-lambda I``):
    ``qk_angle``/``qk_scale`` (``None`` for the other models).
    """
    return run_sweep([cfg], device, desc=desc or "run", namespace=namespace)[0]


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
    T, D, E = batch * N, d, c * d
    forward = 2 * T * D * 3 * E + 4 * batch * N * N * E + 2 * T * E * D + 4 * T * D * ff
    return 3.0 * forward * layers * K
