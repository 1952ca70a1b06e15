"""The Strassen paper's experiments (its Section 6 and Appendix C): page 26's runs.

Four attentions -- standard (softmax), triangular (grid tasks only), third-order and Strassen,
one layer each -- and Table 1's two-layer standard model, on the paper's four tasks
(:mod:`attnlab.composition.paper_tasks`), trained by the paper's protocol:

* one fixed data set per task (from the page's seed), split 90/10 into training and
  validation examples; every model of every attention sees the same split;
* padding masks in the attention and labels only where a token carries one;
* binary cross-entropy per label, AdamW at a constant rate (PyTorch's default betas and weight
  decay: the paper names only the optimiser and the rate), dropout outside attention, epochs
  over the training examples in a fresh order per model and epoch;
* accuracy over the validation labels after every epoch, and the training seconds so far.

A :class:`PaperConfig` is one batched run: ``K`` seeds of one attention on one task train as
one computation (:class:`~attnlab.composition.strassen.StrassenTransformer` with ``K`` stacked
models), each model initialised as it would be alone (:func:`build`)
and shuffled by its own stream (``derive_seed(model_seed, "train data")``).
:func:`page_configs` builds the page's grid from its sizes, :func:`planned_work` its work,
:func:`train_run` trains one configuration, :func:`time_step` times one optimiser step of each
attention as the length grows.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from attnlab._checks import check_choice, check_float, check_int
from attnlab.composition import paper_tasks as pt
from attnlab.composition.strassen import ATTENTIONS, StrassenTransformer
from attnlab.runtime.device import default_device
from attnlab.runtime.seeds import derive_seed, model_seeds
from attnlab.runtime.work import Work, median_seconds, total

MODELS = {
    "standard": dict(attention="softmax", layers=1),
    "triangular": dict(attention="triangular", layers=1),
    "third-order": dict(attention="third_order", layers=1),
    "Strassen": dict(attention="strassen", layers=1),
    "standard, 2 layers": dict(attention="softmax", layers=2),
}
"""The page's models by the name it gives them (the last is Table 1's two-layer baseline)."""


def models_for(task: str) -> list[str]:
    """The models trained on ``task``: triangular attention on the grid tasks only, Table 1's
    two-layer standard model on the two relation tasks only (where Table 1 compares)."""
    check_choice("task", task, pt.PAPER_TASKS)
    names = list(MODELS)
    if task not in pt.GRID_TASKS:
        names = [n for n in names if n not in ("triangular", "standard, 2 layers")]
    return names


@dataclass(frozen=True)
class PaperConfig:
    """One batched run of the paper's protocol; every field is checked (``ValueError`` naming it).

    Args:
        task: one of :data:`~attnlab.composition.paper_tasks.PAPER_TASKS`.
        attention, layers: the model (:data:`~attnlab.composition.strassen.ATTENTIONS`).
        d, heads, mlp_width: embedding width, heads, hidden units of the output MLP.
        dropout: dropout outside attention.
        samples: examples in the fixed data set (90% train, 10% validation).
        epochs, batch, lr: passes over the training examples, examples per step, AdamW rate.
        seeds: one model per seed.
        data_seed: the data set's seed (one data set per task and page seed).
        sizes: the task's lengths and densities (default the paper's).
    """

    task: str = "brc"
    attention: str = "strassen"
    layers: int = 1
    d: int = 16
    heads: int = 1
    mlp_width: int = 16
    dropout: float = 0.3
    samples: int = 2000
    epochs: int = 10
    batch: int = 100
    lr: float = 1e-3
    seeds: tuple[int, ...] = (0,)
    data_seed: int = 0
    sizes: pt.PaperTaskSizes | None = field(default=None)

    def __post_init__(self) -> None:
        check_choice("task", self.task, pt.PAPER_TASKS)
        check_choice("attention", self.attention, ATTENTIONS)
        if self.attention == "triangular" and self.task not in pt.GRID_TASKS:
            raise ValueError(
                f"attention 'triangular' needs a grid task ({', '.join(pt.GRID_TASKS)}), got {self.task}"
            )
        check_int("layers", self.layers, low=1)
        check_int("d", self.d, low=1)
        check_int("heads", self.heads, low=1)
        check_int("mlp_width", self.mlp_width, low=1)
        check_float("dropout", self.dropout, low=0.0, high=0.99)
        check_int("samples", self.samples, low=10)
        check_int("epochs", self.epochs, low=1)
        check_int("batch", self.batch, low=1)
        check_float("lr", self.lr, low=0.0, strict_low=True)
        if isinstance(self.seeds, int) or not self.seeds:
            raise ValueError(f"seeds must list at least one seed, got {self.seeds!r}")
        object.__setattr__(self, "seeds", tuple(check_int("seeds", s, low=0) for s in self.seeds))
        check_int("data_seed", self.data_seed, low=0)
        if self.sizes is None:
            object.__setattr__(self, "sizes", pt.PAPER_SIZES[self.task])
        elif not isinstance(self.sizes, pt.PaperTaskSizes):
            raise ValueError(f"sizes must be a PaperTaskSizes or None, got {type(self.sizes).__name__}")

    @property
    def models(self) -> int:
        return len(self.seeds)

    @property
    def length(self) -> int:
        return pt.length(self.task, self.sizes)

    @property
    def train_size(self) -> int:
        """Training examples: 90% of the data set."""
        return self.samples * 9 // 10

    @property
    def steps(self) -> int:
        """Optimiser steps: ``epochs`` passes of ``ceil(train_size / batch)`` steps."""
        return self.epochs * -(-self.train_size // self.batch)

    def factory(self):
        """The model class of this run: call with ``mlp_width``, ``models``, ``mlp_widths``."""
        return functools.partial(
            StrassenTransformer,
            length=self.length,
            vocab=pt.vocab(self.task, self.sizes),
            d=self.d,
            heads=self.heads,
            out=1,
            readout="all",
            beta=self.d**-0.5,
            attention=self.attention,
            layers=self.layers,
            dropout=self.dropout,
        )

    def work(self) -> Work:
        """``K`` runs, ``steps`` steps, FLOPs of the training steps (3x a forward) and the
        validation passes."""
        per_example = example_flops(self)
        train = 3 * per_example * self.train_size * self.epochs
        val = per_example * (self.samples - self.train_size) * self.epochs
        return Work(self.models, self.steps, (train + val) * self.models)

    def to_key(self) -> dict[str, Any]:
        """The run's identity as plain values."""
        key = dataclasses.asdict(self)
        key["seeds"] = list(self.seeds)
        return key


def example_flops(cfg: PaperConfig) -> float:
    """Approximate forward FLOPs of one example for one model: the projections, the attention
    (``T^2 d`` softmax, ``T^3 d`` Strassen and third-order, ``T^1.5 d`` triangular) and the MLP."""
    T, d, H = cfg.length, cfg.d, cfg.heads
    maps = {"softmax": 3, "strassen": 5, "triangular": 4, "third_order": 5}[cfg.attention]
    attn = {
        "softmax": 4 * T * T * d,
        "strassen": 2 * T**3 * (d + 1) + 8 * T * T * d,
        "triangular": 4 * T**1.5 * d,
        "third_order": 6 * T**3 * d,
    }[cfg.attention]
    per_layer = 2 * T * d * d * (maps + 1) + attn
    return float(cfg.layers * H * per_layer + 2 * T * (d * cfg.mlp_width + cfg.mlp_width))


# -- the fixed data set ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def dataset(task: str, samples: int, data_seed: int, sizes: pt.PaperTaskSizes) -> tuple[torch.Tensor, ...]:
    """The fixed data set ``(tokens, mask, labels, labelled)``, each ``(samples, T)``: the same
    for every model and attention of a page (cached per process)."""
    gen = torch.Generator().manual_seed(derive_seed(data_seed, f"paper data {task}"))
    return pt.sample(task, samples, gen, sizes)


def split(cfg: PaperConfig) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
    """``(train, validation)``: the first 90% of the data set and the rest."""
    data = dataset(cfg.task, cfg.samples, cfg.data_seed, cfg.sizes)
    n = cfg.train_size
    return tuple(t[:n] for t in data), tuple(t[n:] for t in data)


def build(cfg: PaperConfig) -> StrassenTransformer:
    """The ``K`` stacked models of ``cfg``, model ``k`` initialised exactly as a lone model under
    ``torch.manual_seed(seeds[k])`` (as :func:`attnlab.composition.training.build` does)."""
    factory = cfg.factory()
    model = factory(mlp_width=cfg.mlp_width, models=cfg.models)
    with torch.no_grad():
        for k, seed in enumerate(cfg.seeds):
            torch.manual_seed(seed)
            single = factory(mlp_width=cfg.mlp_width, models=1)
            for p, q in zip(model.parameters(), single.parameters(), strict=True):
                p[k] = q[0]
    return model


# -- one run -------------------------------------------------------------------------------------------


def _loss(y: torch.Tensor, labels: torch.Tensor, labelled: torch.Tensor) -> torch.Tensor:
    """Per-model mean BCE over the labelled tokens: ``y (K, B, T)``, labels ``(K, B, T)``."""
    bce = F.binary_cross_entropy_with_logits(y, labels.float(), reduction="none") * labelled
    return bce.flatten(1).sum(-1) / labelled.flatten(1).sum(-1).clamp(min=1)


@torch.no_grad()
def validation_accuracy(
    model: StrassenTransformer, val: tuple[torch.Tensor, ...], batch: int
) -> torch.Tensor:
    """Per-model accuracy ``(K,)`` over every labelled token of the validation set."""
    model.eval()
    right = torch.zeros(model.models)
    tokens, mask, labels, labelled = val
    dev = model.embed.device
    for i in range(0, len(tokens), batch):
        t, m, lab, ll = (x[i : i + batch].to(dev) for x in (tokens, mask, labels, labelled))
        pred = model(t, m)[..., 0] > 0  # (K, B, T)
        right += ((pred == lab) & ll).flatten(1).sum(-1).float().cpu()
    model.train()
    return right / labelled.sum()


def train_run(cfg: PaperConfig, device: torch.device | str = "cpu") -> dict[str, Any]:
    """Train the ``K`` models of ``cfg``; returns ``accuracy`` (epochs x K validation accuracy),
    ``seconds`` (training seconds after each epoch, all K models together), ``params`` (per
    model), ``positive`` (the validation labels' positive rate) and ``key``."""
    dev = default_device(device)
    train, val = split(cfg)
    model = build(cfg).to(dev)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    gens = [torch.Generator().manual_seed(derive_seed(s, "train data")) for s in cfg.seeds]
    n = cfg.train_size
    accuracy, seconds, elapsed = [], [], 0.0
    for _ in range(cfg.epochs):
        t0 = time.perf_counter()
        order = torch.stack([torch.randperm(n, generator=g) for g in gens])  # (K, n): each model's order
        for i in range(0, n, cfg.batch):
            idx = order[:, i : i + cfg.batch]  # (K, B)
            tokens, mask, labels, labelled = (x[idx].to(dev) for x in train)  # (K, B, T)
            loss = _loss(model(tokens, mask)[..., 0], labels, labelled)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        elapsed += time.perf_counter() - t0
        seconds.append(elapsed)
        accuracy.append(validation_accuracy(model, val, 4 * cfg.batch).tolist())
    params = sum(p.numel() for p in model.parameters()) // cfg.models
    positive = (val[2] & val[3]).sum().item() / val[3].sum().item()
    return dict(accuracy=accuracy, seconds=seconds, params=params, positive=positive, key=cfg.to_key())


# -- the page's grid --------------------------------------------------------------------------------


def step_flops(cfg: PaperConfig) -> float:
    """FLOPs of one optimiser step of ``cfg``'s ``K`` models: 3x a forward of ``batch`` examples."""
    return 3 * example_flops(cfg) * cfg.batch * cfg.models


def step_timer(cfg: PaperConfig, device: torch.device | str = "cpu") -> Callable[[], None]:
    """One optimiser step of ``cfg``'s models per call, on the first ``batch`` training examples
    of its data set, with throw-away models (for timing)."""
    dev = default_device(device)
    train, _ = split(cfg)
    model = build(cfg).to(dev)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    idx = torch.arange(min(cfg.batch, cfg.train_size)).expand(cfg.models, -1)  # (K, B)
    tokens, mask, labels, labelled = (x[idx].to(dev) for x in train)

    def step() -> None:
        loss = _loss(model(tokens, mask)[..., 0], labels, labelled)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()

    return step


def page_configs(sizes: Any, seed: int = 0) -> list[tuple[str, str, PaperConfig]]:
    """Page 26's runs at ``sizes`` as ``(task, model name, config)``: every model of
    :func:`models_for` on every task of ``sizes.tasks``, all with the model seeds
    ``derive_seed(seed, "model", i)`` and one data set per task from ``seed``."""
    seeds = model_seeds(seed, sizes.seeds, "model")
    out = []
    for task, ts in sizes.tasks.items():
        for name in models_for(task):
            cfg = PaperConfig(
                task=task,
                **MODELS[name],
                d=ts.d,
                heads=ts.heads,
                mlp_width=ts.mlp_width,
                dropout=ts.dropout,
                samples=ts.samples,
                epochs=ts.epochs,
                batch=ts.batch,
                lr=sizes.lr,
                seeds=seeds,
                data_seed=seed,
                sizes=ts.task,
            )
            out.append((task, name, cfg))
    return out


def planned_work(sizes: Any) -> Work:
    """Page 26's training work at ``sizes`` (runs, steps, FLOPs), without training."""
    return total(c.work() for _, _, c in page_configs(sizes))


def time_step(
    attention: str, T: int, *, d: int = 16, batch: int = 8, repeats: int = 3, seed: int = 0
) -> float:
    """Median seconds of one forward + backward pass of a one-layer model on ``T`` tokens
    (``T`` a square for triangular attention), ``batch`` sequences, one model; one untimed
    warm-up pass first."""
    check_choice("attention", attention, ATTENTIONS)
    T, batch, repeats = (
        check_int("T", T, low=1),
        check_int("batch", batch, low=1),
        check_int("repeats", repeats, low=1),
    )
    torch.manual_seed(seed)
    model = StrassenTransformer(T, 4, d=d, mlp_width=d, readout="all", attention=attention, beta=d**-0.5)
    tokens = torch.randint(0, 4, (batch, T), generator=torch.Generator().manual_seed(seed))

    def step() -> None:
        model.zero_grad(set_to_none=True)
        model(tokens).square().mean().backward()

    return median_seconds(step, repeats=repeats, warmup=1)
