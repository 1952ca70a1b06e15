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
AdamW is element-wise, so stacking models changes nothing). A page lists its batched groups
(page 12: :func:`rank_heads_groups`), plans their work without training (:func:`planned_work`),
and trains them as one list (:meth:`Runs.train`, through :func:`attnlab.runtime.sweep.sweep`: each
finished run cached, an interrupted sweep resumed, the runs spread over a Ray cluster when one
is configured); :class:`Runs` is the table of trained models the page reads.

Seeds: model ``k``'s initial weights come from ``seeds[k]`` itself, its training data from
``derive_seed(seeds[k], "train data")`` and its held-out data from
``derive_seed(seeds[k], "held-out data")``; a page's replicate seeds are
``derive_seed(seed, "replicate", j)`` (:func:`replicate_seeds`).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import torch

from attnlab._checks import check_choice, check_float, check_int
from attnlab.rank.encoder import POSITIONAL, BatchedEncoder
from attnlab.rank.tasks import farthest_labels, sphere
from attnlab.runtime.device import MEMORY_ENV, default_device, keep_freed_memory, memory_budget
from attnlab.runtime.progress import progress as progress_bar
from attnlab.runtime.seeds import derive_seed, generator
from attnlab.runtime.sweep import sweep
from attnlab.runtime.work import Work

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
        compile: opt-in ``torch.compile`` of the model: its compile time pays off only on long
            runs (the ``paper`` profile).
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

    def __post_init__(self) -> None:
        """Every field is checked on construction: a bad value raises ``ValueError`` naming it."""
        check_int("d", self.d, low=1)
        check_int("N", self.N, low=1)
        if not self.ranks or len(self.ranks) != len(self.seeds):
            raise ValueError(
                "ranks and seeds must be non-empty and of equal length (one model each), "
                f"got {len(self.ranks)} ranks and {len(self.seeds)} seeds"
            )
        check_int("ff", self.ff, low=1)
        check_choice("positional", self.positional, POSITIONAL)
        if self.pos_dim is not None:
            check_int("pos_dim", self.pos_dim, low=1)
        for r in self.ranks:  # the encoder splits its width into heads of rank r
            check_int("ranks", r, low=1, high=self.width)
            if self.width % r:
                raise ValueError(f"ranks must divide the model width {self.width}; got {r}")
        for seed in self.seeds:
            check_int("seeds", seed, low=0)
        check_int("layers", self.layers, low=1)
        check_int("c", self.c, low=1)
        check_int("batch", self.batch, low=1)
        check_int("steps", self.steps, low=1)
        check_int("steps_per_epoch", self.steps_per_epoch, low=1)
        check_float("lr", self.lr, low=0.0, strict_low=True)
        check_float("warmup", self.warmup, low=0.0, high=1.0)
        check_choice("precision", self.precision, ("float32", "bfloat16"))
        check_int("init_seed", self.init_seed, low=0)
        check_int("eval_batches", self.eval_batches, low=1)
        self.protocols()

    @property
    def K(self) -> int:
        """Models trained together."""
        return len(self.ranks)

    @property
    def width(self) -> int:
        """The model width ``D``: ``d``, plus ``pos_dim`` (default ``d``) concatenated coordinates."""
        return self.d + ((self.pos_dim or self.d) if self.positional == "concatenated" else 0)

    def step_flops(self) -> float:
        """FLOPs of one training step of all ``K`` models (:func:`step_flops`)."""
        return step_flops(
            d=self.width, N=self.N, batch=self.batch, layers=self.layers, c=self.c, ff=self.ff, K=self.K
        )

    def flops(self) -> float:
        """Training FLOPs of the whole run: ``steps`` steps of :meth:`step_flops`."""
        return self.steps * self.step_flops()

    def models(self) -> list[TrainConfig]:
        """Each model alone, as a one-model configuration (trained alone, it trains the same)."""
        return [
            replace(self, ranks=(r,), seeds=(s,), protocol=p)
            for r, s, p in zip(self.ranks, self.seeds, self.protocols(), strict=True)
        ]

    def subset(self, indices: Iterable[int]) -> TrainConfig:
        """The run of models ``indices`` only (each keeps its rank, seed and protocol)."""
        idx = list(indices)
        if not idx:
            raise ValueError("indices: at least one model")
        for k in idx:
            check_int("indices", k, low=0, high=self.K - 1)
        protocols = self.protocols()
        return replace(
            self,
            ranks=tuple(self.ranks[k] for k in idx),
            seeds=tuple(self.seeds[k] for k in idx),
            protocol=tuple(protocols[k] for k in idx),
        )

    def to_key(self, device: torch.device | str = "cpu") -> dict[str, Any]:
        """The cache key (and sweep task) of this run: its fields (JSON types) and the device type."""
        key = asdict(self)
        key["device_type"] = torch.device(device).type
        return key

    @classmethod
    def from_key(cls, key: Mapping[str, Any]) -> TrainConfig:
        """The configuration of a :meth:`to_key` key (lists back to tuples; the device type dropped)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in key.items() if k in names})

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
    return [generator(derive_seed(s, "train data"), device) for s in seeds]


def heldout_generators(seeds: tuple[int, ...], device: torch.device) -> list[torch.Generator]:
    """Per model, a data stream disjoint from its training stream (held-out evaluation)."""
    return [generator(derive_seed(s, "held-out data"), device) for s in seeds]


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
    activations: against the resident peak of real steps on this project's CPU, over 9 shapes
    up to the paper's, the plan was 0.96-1.73 times the peak at factor 2 (once below it) and
    1.4-2.4 times at factor 3 (``tests/rank/test_training.py`` checks the plan against real
    steps). ``path`` forces an attention kernel (:func:`~attnlab.rank.small_heads.attention_path`;
    None: the one training uses), to compare the plans of two kernels.
    """
    # the shape alone decides the memory: one canonical model, measured once per process
    one = replace(
        cfg, ranks=(min(cfg.ranks),), seeds=(0,), protocol="fresh", init_seed=0, batch=1, steps=1, lr=0.01
    )
    per_sequence, parameters = _measured_memory(one, torch.device(device), path)
    return 3 * per_sequence * cfg.batch + 4 * parameters


def models_per_pass(cfg: TrainConfig, device: torch.device | str = "cpu", memory: int | None = None) -> int:
    """How many of ``cfg``'s models :func:`train` puts in one pass: as many as :func:`step_memory`
    fits into ``memory`` bytes (default :func:`~attnlab.runtime.device.memory_budget`), at most
    ``K``. Raises ``ValueError`` naming ``batch`` when one model alone does not fit."""
    budget = memory_budget(device) if memory is None else check_int("memory", memory, low=1)
    need = step_memory(cfg, device)
    per_pass = _models_that_fit(cfg.K, need, budget)
    if per_pass is None:
        raise ValueError(
            f"batch: one model of this run (N={cfg.N}, layers={cfg.layers}, c={cfg.c}, "
            f"ff={cfg.ff}, rank {min(cfg.ranks)}) needs about {need / 2**30:.1f} GiB for a training "
            f"step at batch={cfg.batch}, more than the memory budget of {budget / 2**30:.1f} GiB on "
            f"{torch.device(device).type}; lower batch, or set {MEMORY_ENV} if the device has more"
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
    """How :func:`train` would split each run of ``cfgs`` under a budget of ``memory`` bytes,
    without training: per run its shape, ``K``, ``per_model`` bytes (:func:`step_memory`),
    ``per_pass`` models and ``passes`` (both ``None`` where one model alone does not fit);
    ``path`` as in :func:`step_memory`."""
    check_int("memory", memory, low=1)
    plan = []
    for cfg in cfgs:
        need = step_memory(cfg, device, path)
        per_pass = _models_that_fit(cfg.K, need, memory)
        plan.append(
            dict(
                N=cfg.N,
                layers=cfg.layers,
                c=cfg.c,
                width=cfg.width,
                batch=cfg.batch,
                K=cfg.K,
                per_model=need,
                per_pass=per_pass,
                passes=math.ceil(cfg.K / per_pass) if per_pass else None,
            )
        )
    return plan


def train(
    cfg: TrainConfig,
    device: torch.device | str = "cpu",
    *,
    progress: bool = True,
    desc: str = "",
    memory: int | None = None,
) -> tuple[dict[str, Any], BatchedEncoder]:
    """Train the ``K`` models of ``cfg``; returns ``(result, model)``.

    The models train together, in as few passes as the memory allows: :func:`models_per_pass`
    under the budget ``memory`` (bytes; default :func:`~attnlab.runtime.device.memory_budget` of
    ``device``). A model trains the same in any pass (its own initialisation, data and schedule),
    so the split changes no number beyond float rounding; ``model`` holds all ``K`` models.

    ``result``: ``epoch_loss`` (K lists of epoch means of the training loss), ``metric`` (per
    model, min over epochs), ``final`` (last epoch's mean), ``heldout`` (the final model's error
    on ``eval_batches`` fresh held-out batches), ``replayed_final`` (a ``"replay"`` model's final
    loss on its replayed set, else ``None``), ``protocol``, ``seconds`` (training only, all
    passes), ``ms_per_step`` (a step of all ``K`` models), ``passes``.
    """
    if isinstance(device, str):
        check_choice("device", device.split(":")[0], ("cpu", "cuda", "auto"))
        device = default_device(device) if device == "auto" else torch.device(device)
    device = torch.device(device)
    if device.type == "cpu":
        keep_freed_memory()  # reuse warm pages for the large per-step activations
    per_pass = models_per_pass(cfg, device, memory)
    if per_pass >= cfg.K:
        result, model = _train_pass(cfg, device, progress=progress, desc=desc)
        return result | {"passes": 1}, model
    passes = split_into_passes(cfg, per_pass)
    outs, models = [], []
    for i, part in enumerate(passes):
        label = f"{desc or f'K={cfg.K}'} pass {i + 1}/{len(passes)}"
        out, trained = _train_pass(part, device, progress=progress, desc=label)
        outs.append(out)
        models.append(trained)
    model = cfg.build().to(device)  # a container for the K models, filled from the passes
    with torch.no_grad():
        per_pass_params = (m.parameters() for m in models)
        for (name, p), *trained in zip(model.named_parameters(), *per_pass_params, strict=True):
            p.copy_(torch.cat(trained, dim=0 if name == "pos" else 1))  # along the model index
    result = {
        field: [v for out in outs for v in out[field]]
        for field in ("epoch_loss", "metric", "final", "heldout", "replayed_final", "protocol")
    }
    seconds = sum(out["seconds"] for out in outs)
    result |= {"seconds": seconds, "ms_per_step": 1000 * seconds / cfg.steps, "passes": len(passes)}
    return result, model


def _train_pass(
    cfg: TrainConfig, device: torch.device, *, progress: bool, desc: str
) -> tuple[dict[str, Any], BatchedEncoder]:
    """One pass of :func:`train`: all ``K`` models of ``cfg`` in one :class:`BatchedEncoder`."""
    protocols = cfg.protocols()
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


def train_run(key: dict[str, Any]) -> dict[str, Any]:
    """One sweep task: :func:`train` on a :meth:`TrainConfig.to_key` key, plus the ``qk`` summary.

    For every model with a single full-rank head in layer 1, ``qk_angle`` is the angle between its
    ``W_q W_k^T`` (restricted to the first ``d`` coordinates) and ``I``, and ``qk_scale`` the
    coefficient ``tr(W_q W_k^T) / d`` of its projection onto ``I`` (``-lambda`` for
    ``-lambda I``); ``None`` for the other models.
    """
    cfg = TrainConfig.from_key(key)
    device_type = key.get("device_type", "cpu")
    device = default_device() if device_type == "cuda" else torch.device(device_type)
    result, model = train(
        cfg, device, progress=True, desc=f"N={cfg.N} L={cfg.layers} c={cfg.c} r={cfg.ranks}"
    )
    result.update(_qk_summary(cfg, model))
    return result


def train_sweep(
    cfgs: Sequence[TrainConfig],
    device: torch.device | str = "cpu",
    *,
    desc: str = "runs",
    namespace: str = "rank_heads",
) -> list[dict[str, Any]]:
    """:func:`train` on every configuration, submitted as one list to
    :func:`attnlab.runtime.sweep.sweep`: results cached, an interrupted sweep resumed, and the runs
    spread over a Ray cluster when one is configured."""
    return sweep(train_run, [c.to_key(device) for c in cfgs], namespace=namespace, desc=desc)


# -- a page's training runs: planned as groups, trained as one sweep, read as a table of models --

RESULT_FIELDS = ("metric", "final", "heldout", "replayed_final", "epoch_loss", "qk_angle", "qk_scale")


def replicate_seeds(seed: int, n: int) -> tuple[int, ...]:
    """The seeds of a page's ``n`` replicate models under the page's ``seed``."""
    check_int("n", n, low=1)
    return tuple(derive_seed(seed, "replicate", j) for j in range(n))


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


def work_of(cfgs: Iterable[TrainConfig]) -> Work:
    """Runs (models), optimiser steps (a batched run counts its steps once) and FLOPs of ``cfgs``."""
    cfgs = list(cfgs)
    return Work(sum(c.K for c in cfgs), sum(c.steps for c in cfgs), sum(c.flops() for c in cfgs))


def step_timer(cfg: TrainConfig, device: torch.device | str = "cpu") -> Callable[[], None]:
    """One training step of ``cfg``'s models per call (for :func:`attnlab.runtime.work.seconds_per_flop`,
    with ``cfg.step_flops()``); throw-away models, so the page's runs are unchanged. The models
    step in the passes :func:`train` would use (:func:`models_per_pass`), so a call fits in memory
    wherever the run does."""
    passes = []
    for part in split_into_passes(cfg, models_per_pass(cfg, device)):
        model = part.build().to(device)
        passes.append((model, make_optimizer(model, part.lr), data_generators(part.seeds, device)))

    def step() -> None:
        for model, opt, gens in passes:
            training_step(model, opt, gens, cfg.batch)

    return step


@dataclass(frozen=True)
class Runs:
    """A table of trained models: one row per model of each ``(tag, config)`` group, with its
    identity (``tag, protocol, N, layers, c, positional, rank, seed``), its run's ``ms_per_step``
    and its results (:data:`RESULT_FIELDS`)."""

    rows: tuple[dict[str, Any], ...]

    @classmethod
    def train(
        cls,
        groups: Sequence[tuple[str, TrainConfig]],
        device: torch.device | str = "cpu",
        *,
        namespace: str = "rank_heads",
        desc: str = "runs",
    ) -> Runs:
        """Train ``groups`` as one sweep of their :func:`unique_groups` and file every model."""
        runs = unique_groups(groups)
        results = train_sweep(runs, device, namespace=namespace, desc=desc)
        return cls.from_results(groups, runs, results)

    @classmethod
    def from_results(
        cls,
        groups: Sequence[tuple[str, TrainConfig]],
        runs: Sequence[TrainConfig],
        results: Sequence[Mapping[str, Any]],
    ) -> Runs:
        """File the results of ``runs`` (one per run) under the models of ``groups``."""
        by_model = {}
        for cfg, out in zip(runs, results, strict=True):
            for k, one in enumerate(cfg.models()):
                by_model[one] = {f: out[f][k] for f in RESULT_FIELDS} | {"ms_per_step": out["ms_per_step"]}
        rows = []
        for tag, cfg in groups:
            for one in cfg.models():
                identity = dict(
                    tag=tag,
                    protocol=one.protocol,
                    N=one.N,
                    layers=one.layers,
                    c=one.c,
                    positional=one.positional,
                    rank=one.ranks[0],
                    seed=one.seeds[0],
                )
                rows.append(identity | by_model[one])
        return cls(tuple(rows))

    def select(self, **where: Any) -> list[dict[str, Any]]:
        """The rows whose fields equal ``where``'s values; a ``KeyError`` if there are none."""
        names = self.rows[0].keys() if self.rows else ()
        for name in where:
            if name not in names:
                raise ValueError(f"where: no field {name!r}; fields: {', '.join(names)}")
        out = [row for row in self.rows if all(row[k] == v for k, v in where.items())]
        if not out:
            raise KeyError(f"no trained model with {where}")
        return out

    def values(self, field: str, **where: Any) -> list[Any]:
        """``field`` of every matching model, in the order of the groups."""
        return [row[field] for row in self.select(**where)]

    def best(self, field: str = "metric", **where: Any) -> float:
        """The best (smallest) ``field`` over the matching models: with ``"metric"``, the paper's
        number (best over seeds of the min over epochs of the epoch-mean training loss)."""
        return float(min(self.values(field, **where)))

    def curve(self, **where: Any) -> list[float]:
        """Per epoch, the smallest epoch-mean training loss over the matching models."""
        return [min(epoch) for epoch in zip(*self.values("epoch_loss", **where), strict=True)]


def late_drop(curve: Sequence[float]) -> float:
    """The fraction of the error at mid-training that the second half of training removes:
    ``1 - curve[-1] / curve[mid]``, ``mid`` the last epoch of the first half.

    NaN for a curve of fewer than 2 epochs (a smoke run): no half of training to compare, and
    a claim made on a NaN fails.
    """
    if len(curve) < 2:
        return float("nan")
    return 1 - curve[-1] / curve[len(curve) // 2 - 1]


def fig3_ranks(sizes: Any, positional: str) -> tuple[int, ...]:
    """fig3's ranks: the profile's, with concatenated coordinates optionally also the widened
    model's full rank ``d + pos_dim`` (one head), as in the authors' sweep."""
    f3 = sizes.fig3
    if positional == "concatenated" and f3.widened_full_rank:
        return (sizes.d + f3.pos_dim, *f3.ranks)
    return tuple(f3.ranks)


def rank_heads_groups(sizes: Any, seed: int) -> list[tuple[str, TrainConfig]]:
    """Page 12's batched groups ``(tag, config)`` at the sizes ``sizes("12_training_rank_heads", p)``.

    ``fig1``: every ``(layers, c, ranks)`` group, both protocols in one run; ``figN``: fresh
    data, ``batch = points // N``; ``fig3``: every depth and positional
    encoding. Each model's seeds come from :func:`replicate_seeds`; the replay models share the
    one initialisation ``derive_seed(seed, "replay init")``, as the authors' fixed seed.
    """
    seeds = replicate_seeds(seed, sizes.seeds)
    init_seed = derive_seed(seed, "replay init")
    common = dict(
        d=sizes.d,
        ff=sizes.ff,
        steps_per_epoch=sizes.steps_per_epoch,
        eval_batches=sizes.eval_batches,
        init_seed=init_seed,
    )

    def group(tag, N, layers, c, ranks, protocols=("fresh",), *, lr, steps, batch, **kw):
        models = [(p, r, s) for p in protocols for r in ranks for s in seeds]
        cfg = TrainConfig(
            N=N,
            layers=layers,
            c=c,
            ranks=tuple(r for _, r, _ in models),
            seeds=tuple(s for _, _, s in models),
            protocol=tuple(p for p, _, _ in models),
            lr=lr or sizes.lr,
            steps=steps or sizes.steps,
            batch=batch or sizes.batch,
            **common,
            **kw,
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
    :func:`unique_groups` of :func:`rank_heads_groups` (the seeds do not change the work)."""
    return work_of(unique_groups(rank_heads_groups(sizes, seed=0)))


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


def counted_flops(
    *,
    d: int,
    N: int,
    batch: int,
    layers: int,
    c: int,
    ff: int,
    heads: int,
    training: bool = False,
    seed: int = 0,
) -> int:
    """PyTorch's own count of the matrix-product FLOPs of one pass of a :class:`BatchedEncoder`.

    ``training=False``: one forward and backward pass whose input requires a gradient (every
    product then gets both of its gradients, as :func:`step_flops` assumes); ``training=True``:
    one real :func:`training_step`, whose input needs none. Attention runs on the math backend,
    since ``FlopCounterMode`` does not see inside the fused CPU kernel. An independent check of
    :func:`step_flops`.
    """
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    check_int("heads", heads, low=1)
    if d % heads:
        raise ValueError(f"heads must divide d = {d}, got {heads}")
    model = BatchedEncoder(d, N, (d // heads,), (seed,), layers=layers, c=c, ff=ff)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        if training:
            training_step(
                model, make_optimizer(model, 1e-3), data_generators((seed,), torch.device("cpu")), batch
            )
        else:
            x = torch.randn(1, batch, N, d, requires_grad=True)
            model(x).square().sum().backward()
    return counter.get_total_flops()
