"""Training the rank chapter's models: the authors' recipe, ``K`` models per pass.

Recipe (Amsel, Yehudai and Bruna 2024): AdamW with betas ``(0.9, 0.95)`` and no weight decay,
the rate on the schedule of :class:`~attnlab.rank.config.TrainConfig`. The loss is the
per-point squared error summed over coordinates (``d`` times the mean squared error), so the
zero predictor scores 1. The reported number is the minimum over "epochs" (blocks of
``steps_per_epoch`` steps) of the epoch-mean training loss, and across seeds the best of them.
After training, every model's error is measured on ``eval_batches x batch`` fresh held-out
instances (``heldout``), and a replay model's loss on its whole replayed set (``replayed_final``).

:func:`train` runs the ``K`` models of one configuration in one
:class:`~attnlab.rank.encoder.BatchedEncoder` (AdamW is element-wise, so stacking models changes
nothing), in as many passes as the memory plan (:mod:`attnlab.rank.memory`) needs;
:func:`train_run` is one run of a sweep and :func:`train_sweep` a list of them, through
:func:`attnlab.runtime.sweep.sweep` (each finished run cached, an interrupted sweep resumed, the
runs spread over a Ray cluster when one is configured).

Seeds: model ``k``'s initial weights come from ``seeds[k]`` itself, its training data from
``derive_seed(seeds[k], "train data")`` and its held-out data from
``derive_seed(seeds[k], "held-out data")`` (:func:`attnlab.runtime.seeds.data_generators`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from attnlab._checks import check_int
from attnlab.rank.config import TrainConfig
from attnlab.rank.encoder import BatchedEncoder
from attnlab.rank.memory import models_per_pass, split_into_passes
from attnlab.rank.tasks import farthest_labels, sphere
from attnlab.runtime.device import default_device, keep_freed_memory
from attnlab.runtime.progress import progress as progress_bar
from attnlab.runtime.seeds import data_generators
from attnlab.runtime.sweep import sweep

TRAIN_DATA, HELDOUT_DATA = "train data", "held-out data"
"""The seed streams of a model's training data and of its held-out data."""


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
    device = default_device(device)
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
    opt = make_optimizer(model, cfg.peak_lr)
    forward = torch.compile(model) if cfg.compile else model
    bf16 = cfg.precision == "bfloat16"
    shared = cfg.shared_schedule()  # one schedule for all: the scheduler moves the optimizer's rate
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: cfg.lr_factors(t)[0] if shared else 1.0)
    replay = [k for k, p in enumerate(protocols) if p == "replay"]
    gens = data_generators(cfg.seeds, TRAIN_DATA, device)
    K = model.K
    running = torch.zeros(K, device=device)
    epochs: list[torch.Tensor] = []
    t0 = time.perf_counter()
    bar = progress_bar(
        range(cfg.steps), desc=desc or f"K={K}", disable=not progress, mininterval=10, leave=False
    )
    for step in bar:
        if replay and step % cfg.steps_per_epoch == 0 and step > 0:  # the authors' re-seeded epoch
            fresh_streams = data_generators(tuple(cfg.seeds[k] for k in replay), TRAIN_DATA, device)
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
    held = data_generators(cfg.seeds, HELDOUT_DATA, device)
    heldout = evaluate(model, held, cfg.batch, cfg.eval_batches, forward=forward)
    replayed: list[float | None] = [None] * K
    if replay:  # the whole replayed set: the first steps_per_epoch batches of the training stream
        steps = min(cfg.steps, cfg.steps_per_epoch)
        on_set = evaluate(
            model, data_generators(cfg.seeds, TRAIN_DATA, device), cfg.batch, steps, forward=forward
        ).cpu()
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
            a, s = angle_to_identity(form[0, : cfg.model.d, : cfg.model.d].cpu())
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
    device = default_device(key.get("device_type", "cpu"))
    m = cfg.model
    desc = f"N={m.N} L={m.layers} c={m.c} r={cfg.ranks}"
    result, model = train(cfg, device, progress=True, desc=desc)
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
    spread over a Ray cluster when one is configured (the costliest runs first)."""
    return sweep(train_run, [c.to_key(device) for c in cfgs], namespace=namespace, desc=desc, cost=_flops)


def _flops(key: dict[str, Any]) -> float:
    """A run's training work in FLOPs: its cost when a cluster starts the costliest runs first."""
    return TrainConfig.from_key(key).work().flops


def step_timer(cfg: TrainConfig, device: torch.device | str = "cpu") -> Callable[[], None]:
    """One training step of ``cfg``'s models per call (for :func:`attnlab.runtime.work.seconds_per_flop`,
    with ``cfg.step_flops()``); throw-away models, so the page's runs are unchanged. The models
    step in the passes :func:`train` would use (:func:`models_per_pass`), so a call fits in memory
    wherever the run does."""
    device = default_device(device)
    passes = []
    for part in split_into_passes(cfg, models_per_pass(cfg, device)):
        model = part.build().to(device)
        gens = data_generators(part.seeds, TRAIN_DATA, device)
        passes.append((model, make_optimizer(model, part.peak_lr), gens))

    def step() -> None:
        for model, opt, gens in passes:
            training_step(model, opt, gens, cfg.batch)

    return step


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
    product then gets both of its gradients, as :func:`~attnlab.rank.config.step_flops`
    assumes); ``training=True``: one real :func:`training_step`, whose input needs none.
    Attention runs on the math backend, since ``FlopCounterMode`` does not see inside the fused
    CPU kernel. An independent check of :func:`~attnlab.rank.config.step_flops`.
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
                model, make_optimizer(model, 1e-3), data_generators((seed,), TRAIN_DATA, "cpu"), batch
            )
        else:
            x = torch.randn(1, batch, N, d, requires_grad=True)
            model(x).square().sum().backward()
    return counter.get_total_flops()
