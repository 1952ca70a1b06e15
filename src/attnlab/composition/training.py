"""Training the chapter's models on Comp_n, Match3 and relation composition, many models at once.

One loop (:func:`train`) trains every model of the chapter: the theorem's softmax transformer
(:class:`~attnlab.composition.transformer.SoftmaxTransformer`, one or more layers) and one
Strassen (or softmax) layer (:class:`~attnlab.composition.strassen.StrassenTransformer`). A
:class:`CompConfig` names the task, the models' shape
(:class:`~attnlab.composition.model.TransformerConfig`, its ``model``) and the optimiser;
its ``K`` models (one per ``(width, seed)`` pair) carry a leading "model" dimension and train
as one batched computation.
The loss is the sum of the per-model losses, so one optimiser step is ``K`` independent AdamW
steps (AdamW's update is per coordinate, hence exactly independent across models).

Every model has its own data: its training batches come from the stream
``derive_seed(model_seed, "train data")`` and its accuracy measurements from
``derive_seed(model_seed, "eval data")``, and it starts from the weights a lone model under its
seed would have. So a model trained in a batch sees the same numbers as trained alone (up to
floating-point reassociation in the batched products).

Comp_n models answer with ``n`` logits (cross-entropy, answer = arg-max); Ind_n models with the
theorem's one real output (binary cross-entropy, answer = its sign); Match3 and relation
composition with one logit per token (binary cross-entropy). Accuracy is measured on fresh
samples. :func:`train_sweep` runs a list of configurations through
:func:`attnlab.runtime.sweep.sweep` (cached, resumable, on a Ray cluster when configured), and
:func:`train_groups` files every trained model as a row of an
:class:`attnlab.runtime.runs.Runs` table, which the pages read by identity.

The work of a run is counted without training: :func:`step_flops` (one optimiser step) and
:meth:`CompConfig.work` (models, steps and FLOPs); :func:`step_timer` times one step.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from attnlab._checks import check_choice, check_float, check_int
from attnlab.composition.model import TransformerConfig
from attnlab.composition.tasks import TASKS, task_batch, task_shape
from attnlab.composition.transformer import StackedModel
from attnlab.runtime.device import default_device
from attnlab.runtime.progress import progress as progress_bar
from attnlab.runtime.runs import Runs
from attnlab.runtime.seeds import data_generators
from attnlab.runtime.sweep import SweepConfig, sweep
from attnlab.runtime.work import Work


@dataclass(frozen=True)
class CompConfig(SweepConfig):
    """One batched training run: ``K = len(mlp_width) * len(seeds)`` models, width-major.

    Args:
        task: ``"comp"`` or ``"ind"`` (need ``n``), ``"match3"`` (``N`` tokens, modulus ``m``) or ``"brc"``
            (relations on ``m`` elements with entry ``density``).
        model: the shape every model shares (attention, layers, ``d``, heads). Softmax on
            Comp_n is the theorem's :class:`~attnlab.composition.transformer.SoftmaxTransformer`
            (any ``layers``); otherwise the model is one
            :class:`~attnlab.composition.strassen.StrassenTransformer` layer (``attention="softmax"``: its
            softmax control).
        mlp_width: hidden units of the output MLP, or several widths (one model per
            ``(width, seed)``, each exactly as it would be alone).
        seeds: one model per seed: its initialisation and both its data streams follow it.
        steps, batch, lr: AdamW steps (betas ``(0.9, 0.98)``, no weight decay) of ``batch``
            fresh inputs per model at rate ``lr``.
        eval_every, eval_samples: accuracy on ``eval_samples`` fresh inputs every
            ``eval_every`` steps (and at the end on ``4 * eval_samples``).
    """

    task: str = "comp"
    n: int | None = None
    N: int | None = None
    m: int | None = None
    density: float | None = None
    model: TransformerConfig = TransformerConfig()
    mlp_width: int | tuple[int, ...] = 32
    seeds: tuple[int, ...] = (0,)
    steps: int = 700
    batch: int = 128
    lr: float = 1e-2
    eval_every: int = 100
    eval_samples: int = 2000

    def __post_init__(self) -> None:
        """Every field is checked on construction: a bad value raises ``ValueError`` naming it."""
        check_choice("task", self.task, TASKS)
        task_shape(self.task, **self.params())
        if not isinstance(self.model, TransformerConfig):
            raise TypeError(f"model must be a TransformerConfig, got {type(self.model).__name__}")
        if self.model.layers != 1 and not self.is_softmax_transformer():
            raise ValueError(
                f"layers must be 1 for a {self.model.attention} layer on {self.task} "
                f"(only the theorem's softmax transformer stacks layers), got {self.model.layers}"
            )
        widths = self.mlp_width if isinstance(self.mlp_width, (list, tuple)) else (self.mlp_width,)
        if not widths:
            raise ValueError("mlp_width must be a width or a non-empty list of widths")
        object.__setattr__(self, "mlp_width", tuple(check_int("mlp_width", w, low=1) for w in widths))
        if isinstance(self.seeds, int) or not self.seeds:
            raise ValueError(f"seeds must list at least one seed, got {self.seeds!r}")
        object.__setattr__(self, "seeds", tuple(check_int("seeds", s, low=0) for s in self.seeds))
        check_int("steps", self.steps, low=1)
        check_int("batch", self.batch, low=1)
        check_float("lr", self.lr, low=0.0, strict_low=True)
        check_int("eval_every", self.eval_every, low=1)
        check_int("eval_samples", self.eval_samples, low=1)

    def params(self) -> dict[str, Any]:
        """The task's sizes: ``n`` (Comp_n, Ind_n), ``N, m`` (Match3) or ``m, density`` (relations)."""
        names = {"comp": ("n",), "ind": ("n",), "match3": ("N", "m"), "brc": ("m", "density")}[self.task]
        return {k: getattr(self, k) for k in names}

    def is_softmax_transformer(self) -> bool:
        """Whether the model is the theorem's softmax transformer (softmax on Comp_n or Ind_n)."""
        return self.model.is_softmax_transformer(self.task)

    def runs(self) -> list[tuple[int, int]]:
        """The ``(width, seed)`` of every model, width-major."""
        return [(w, s) for w in self.mlp_width for s in self.seeds]

    @property
    def models(self) -> int:
        """``K``, the number of models trained together."""
        return len(self.mlp_width) * len(self.seeds)

    @property
    def length(self) -> int:
        """Tokens per input."""
        return task_shape(self.task, **self.params())["length"]

    def factory(self) -> Callable[..., StackedModel]:
        """The model class with this configuration's shape: call it with ``mlp_width``, ``models``
        and (optionally) ``mlp_widths``."""
        return self.model.factory(self.task, task_shape(self.task, **self.params()))

    def work(self) -> Work:
        """The work of one :func:`train` call: ``K`` runs, ``steps`` optimiser steps, and the FLOPs
        of every step plus every accuracy measurement (forward passes only)."""
        evals = self.steps // self.eval_every + (self.steps % self.eval_every != 0)
        samples = evals * self.eval_samples + 4 * self.eval_samples
        flops = self.steps * step_flops(self) + forward_flops(self, samples) * self.models
        return Work(self.models, self.steps, flops)


PLATEAU_TOLERANCE = 0.05
"""How far above the most-frequent-value accuracy a trained Comp_n model may end and still count
as stuck on that plateau (pages 24 and 25). A tenth of the way from the plateau (about 0.45 at
``n = 5``) to perfect accuracy, and more than six standard errors of a final accuracy near 1/2
measured on 4,000 fresh inputs (the fewest any profile uses): a model that learned a tenth of
the task would not pass, and sampling noise alone would not fail one that learned nothing."""


# -- one training loop -----------------------------------------------------------------------------


def data_streams(seeds: Sequence[int], stream: str, device: torch.device | str) -> dict[int, torch.Generator]:
    """One generator per distinct model seed, keyed by the seed
    (:func:`attnlab.runtime.seeds.data_generators`: ``derive_seed(seed, stream)``, ``stream``
    ``"train data"`` or ``"eval data"``). Models of equal seed (and different widths) share
    their data, so each draws the same inputs as it would alone."""
    distinct = list(dict.fromkeys(seeds))
    return dict(zip(distinct, data_generators(distinct, stream, device), strict=True))


def sample(
    cfg: CompConfig, gens: dict[int, torch.Generator], batch: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """The next ``batch`` inputs of every model's stream: tokens ``(K, B, T)`` and labels
    (Comp_n: ``(K, B)``; per-token tasks: ``(K, B, T)``)."""
    drawn = {s: task_batch(cfg.task, (batch,), g, device, **cfg.params()) for s, g in gens.items()}
    seeds = [s for _, s in cfg.runs()]
    return torch.stack([drawn[s][0] for s in seeds]), torch.stack([drawn[s][1] for s in seeds])


def loss_per_model(cfg: CompConfig, y: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-model mean loss ``(K,)``: cross-entropy over ``n`` logits (Comp_n), or binary
    cross-entropy of the one output (Ind_n) or of each token's output."""
    K = y.shape[0]
    if cfg.task == "comp":
        loss = F.cross_entropy(y.flatten(0, 1), labels.flatten(), reduction="none")
    else:
        loss = F.binary_cross_entropy_with_logits(y[..., 0], labels.float(), reduction="none")
    return loss.view(K, -1).mean(-1)


@torch.no_grad()
def accuracy(
    model: StackedModel, cfg: CompConfig, gens: dict[int, torch.Generator], samples: int
) -> torch.Tensor:
    """Per-model accuracy ``(K,)`` on the next ``samples`` inputs of each model's stream (per
    token for Match3 and relation composition; an output above 0 answers 1)."""
    tokens, labels = sample(cfg, gens, samples, model.embed.device)
    y = model(tokens)
    pred = y.argmax(-1) if cfg.task == "comp" else y[..., 0] > 0
    return (pred == labels).float().flatten(1).mean(-1).cpu()


def build(cfg: CompConfig, factory: Callable[..., StackedModel] | None = None) -> StackedModel:
    """The ``K`` stacked models of ``cfg``, model ``k`` initialised exactly as a lone model of its
    width under its seed (units beyond its width are zero and masked)."""
    factory = cfg.factory() if factory is None else factory
    runs = cfg.runs()
    model = factory(mlp_width=max(cfg.mlp_width), models=len(runs), mlp_widths=[w for w, _ in runs])
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for k, (w, seed) in enumerate(runs):
            torch.manual_seed(seed)
            single = factory(mlp_width=w, models=1)
            for p, q in zip(model.parameters(), single.parameters(), strict=True):
                p[k][tuple(slice(0, s) for s in q.shape[1:])] = q[0]
    return model


def make_optimizer(model: StackedModel, lr: float) -> torch.optim.AdamW:
    """AdamW, betas ``(0.9, 0.98)``, no weight decay: element-wise, so stacked models stay independent."""
    return torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.0)


def training_step(
    model: StackedModel,
    opt: torch.optim.Optimizer,
    cfg: CompConfig,
    gens: dict[int, torch.Generator],
    device: torch.device,
) -> torch.Tensor:
    """One optimiser step on the next batch of every model's stream; returns the losses ``(K,)``."""
    tokens, labels = sample(cfg, gens, cfg.batch, device)  # (K, B, T)
    loss = loss_per_model(cfg, model(tokens), labels)  # (K,)
    opt.zero_grad(set_to_none=True)
    loss.sum().backward()  # sum over models: independent updates
    opt.step()
    return loss.detach()


def train(
    cfg: CompConfig,
    device: torch.device | str = "cpu",
    *,
    factory: Callable[..., StackedModel] | None = None,
    progress: bool = True,
    desc: str = "",
) -> tuple[dict[str, Any], StackedModel]:
    """Train the ``K`` models of ``cfg`` together; returns ``(result, model)``.

    ``factory`` builds the model (default :meth:`CompConfig.factory`: the class for the
    configuration's task and attention). ``result`` is JSON-ready: measured ``steps``, ``acc``
    (per model, per measurement), ``final`` (per model, on ``4 * eval_samples`` inputs), and per
    model ``widths``, ``seeds``, ``mlp_params``, ``size = max(H, d, P)``; ``seconds`` of training.
    """
    if not isinstance(cfg, CompConfig):
        raise TypeError(f"cfg must be a CompConfig, got {type(cfg).__name__}")
    dev = default_device(device)
    model = build(cfg, factory).to(dev)
    opt = make_optimizer(model, cfg.lr)
    seeds = [s for _, s in cfg.runs()]
    gens = data_streams(seeds, "train data", dev)
    eval_gens = data_streams(seeds, "eval data", dev)
    measured, curves = [], []
    t0 = time.perf_counter()
    label = desc or f"{cfg.task} {cfg.model.attention} L={cfg.model.layers} m={list(cfg.mlp_width)}"
    bar = progress_bar(range(1, cfg.steps + 1), disable=not progress, desc=label, leave=False)
    for step in bar:
        training_step(model, opt, cfg, gens, dev)
        if step % cfg.eval_every == 0 or step == cfg.steps:
            acc = accuracy(model, cfg, eval_gens, cfg.eval_samples)
            measured.append(step)
            curves.append(acc.tolist())
            bar.set_postfix(best=f"{acc.max():.2f}")
    final = accuracy(model, cfg, eval_gens, 4 * cfg.eval_samples)
    seconds = time.perf_counter() - t0
    P = [model.mlp_params_of(w) for w, _ in cfg.runs()]
    result = {
        "steps": measured,
        "acc": [list(c) for c in zip(*curves, strict=True)],  # (K, measurements)
        "final": final.tolist(),
        "widths": [w for w, _ in cfg.runs()],
        "seeds": seeds,
        "mlp_params": P,
        "size": [max(cfg.model.heads, cfg.model.d, p) for p in P],
        "seconds": seconds,
        "ms_per_step": 1000 * seconds / cfg.steps,
    }
    return result, model


def train_run(key: dict[str, Any]) -> dict[str, Any]:
    """One sweep task: :func:`train` on a :meth:`CompConfig.to_key` key."""
    result, _ = train(CompConfig.from_key(key), default_device(key.get("device_type", "cpu")), progress=True)
    return result


def train_sweep(
    cfgs: Sequence[CompConfig], device: torch.device | str = "cpu", *, desc: str = "Comp_n runs"
) -> list[dict[str, Any]]:
    """:func:`train` on every configuration through :func:`attnlab.runtime.sweep.sweep`: cached,
    resumable, and run in parallel on a Ray cluster when one is configured."""
    return sweep(train_run, [c.to_key(device) for c in cfgs], namespace="composition", desc=desc)


# -- results: one row per trained model -------------------------------------------------------

MODEL_RESULTS = ("acc", "final", "mlp_params", "size")
"""Per-model fields of a :func:`train` result, filed in each model's row."""


def file_runs(groups: Sequence[tuple[str, CompConfig]], results: Sequence[Mapping[str, Any]]) -> Runs:
    """A table with one row per model of each ``(tag, config)`` group, in order.

    A row holds the model's identity (``tag``, ``task``, ``n``, ``N``, ``m``, ``density``,
    ``attention``, ``layers``, ``width``, ``seed``; ``None`` where the task has no such size),
    its results (:data:`MODEL_RESULTS`: accuracy curve, final accuracy, ``P``, size), the
    steps its curve was measured at (``eval_steps``) and its run's ``ms_per_step``.
    """
    rows = []
    for (tag, cfg), out in zip(groups, results, strict=True):
        identity = dict(tag=tag, task=cfg.task, n=cfg.n, N=cfg.N, m=cfg.m, density=cfg.density)
        identity.update(attention=cfg.model.attention, layers=cfg.model.layers)
        for k, (width, seed) in enumerate(cfg.runs()):
            row = identity | {"width": width, "seed": seed} | {f: out[f][k] for f in MODEL_RESULTS}
            rows.append(row | {"eval_steps": out["steps"], "ms_per_step": out["ms_per_step"]})
    return Runs(rows)


def train_groups(
    groups: Sequence[tuple[str, CompConfig]], device: torch.device | str = "cpu", *, desc: str = "Comp_n runs"
) -> Runs:
    """Train every ``(tag, config)`` group as one :func:`train_sweep`; file its models (:func:`file_runs`)."""
    return file_runs(groups, train_sweep([cfg for _, cfg in groups], device, desc=desc))


def first_step_above(rows: Iterable[Mapping[str, Any]], level: float) -> list[int | None]:
    """Per model row, the first measured step whose accuracy is ``>= level`` (``None``: never)."""
    return [
        next((t for t, a in zip(row["eval_steps"], row["acc"], strict=True) if a >= level), None)
        for row in rows
    ]


# -- cost: FLOPs of a step, and a timed step ---------------------------------------------------------


def forward_flops(cfg: CompConfig, batch: int) -> float:
    """FLOPs of one forward pass of ONE model on ``batch`` inputs (multiply-add = 2 FLOPs).

    Counted: every matrix product (projections, scores, attention-weighted sums, ``W_O``, the
    MLP at its widest width, as computed). Not counted: element-wise work (softmax, exp, ReLU,
    masks), the loss, embedding look-ups. With ``T`` tokens (an auxiliary readout token
    included), ``H`` heads, width ``d``, ``N`` query tokens (1 at a readout token; ``T`` for
    per-token tasks)::

        softmax transformer, each layer but the last (all T tokens):
            8 B T H d^2 (q, k, v, W_O)  +  4 B H T^2 d (scores, weighted sum)
        its last layer, at the readout token only:
            8 B H d^2  +  4 B H T d
        Strassen layer:
            2 B H d^2 (N + 4T) (f; g, h, v, vt)  +  2 B H d (2 N T + T^2) (three score matrices)
            + 2 B H N T^2 (1 + d) (denominator, numerator)  +  2 B N H d^2 (W_O)
        softmax control layer:
            2 B H d^2 (N + 2T)  +  4 B H N T d  +  2 B N H d^2
        MLP:  2 B N (d m + m out)
    """
    shape = task_shape(cfg.task, **cfg.params())
    T, out, B = shape["length"] + (shape["readout"] == "aux"), shape["out"], batch
    H, d, m = cfg.model.heads, cfg.model.d, max(cfg.mlp_width)
    if cfg.is_softmax_transformer():
        inner = (cfg.model.layers - 1) * (8 * B * T * H * d * d + 4 * B * H * T * T * d)
        last = 8 * B * H * d * d + 4 * B * H * T * d
        return float(inner + last + 2 * B * (d * m + m * out))
    N = T if shape["readout"] == "all" else 1
    if cfg.model.attention == "strassen":
        attention = 2 * B * H * d * d * (N + 4 * T) + 2 * B * H * d * (2 * N * T + T * T)
        attention += 2 * B * H * N * T * T * (1 + d)
    else:
        attention = 2 * B * H * d * d * (N + 2 * T) + 4 * B * H * N * T * d
    return float(attention + 2 * B * N * H * d * d + 2 * B * N * (d * m + m * out))


def step_flops(cfg: CompConfig) -> float:
    """FLOPs of one optimiser step of the whole batched pass (``K`` models, ``cfg.batch`` inputs
    each): forward and backward, the backward counted as twice the forward (two products per
    forward product). Checked against ``torch.utils.flop_counter.FlopCounterMode`` in the tests."""
    return 3.0 * forward_flops(cfg, cfg.batch) * cfg.models


def step_timer(cfg: CompConfig, device: torch.device | str = "cpu") -> Callable[[], None]:
    """One optimiser step of a fresh batched model of ``cfg`` per call (for
    :func:`attnlab.runtime.work.seconds_per_flop`, with :func:`step_flops`); throw-away models
    and their own data stream, so the page's runs are unchanged."""
    dev = default_device(device)
    model = build(cfg).to(dev)
    opt = make_optimizer(model, cfg.lr)
    gens = data_streams([s for _, s in cfg.runs()], "timing", dev)

    def step() -> None:
        training_step(model, opt, cfg, gens, dev)
        if dev.type == "cuda":
            torch.cuda.synchronize()

    return step


__all__ = [
    "CompConfig",
    "train",
    "train_run",
    "train_sweep",
    "train_groups",
    "file_runs",
    "first_step_above",
    "forward_flops",
    "step_flops",
    "step_timer",
]
