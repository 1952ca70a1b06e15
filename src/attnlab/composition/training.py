"""Training the theorem's transformer on Comp_n, several seeds at once.

All seeds of one configuration train together: the model's parameters carry a leading
"model" dimension (:class:`attnlab.composition.transformer.SoftmaxTransformer` with ``models=S``), each
model sees its own fresh batch every step, and the loss is the sum of the per-model
losses, so one optimiser step is ``S`` independent AdamW steps (AdamW's update is
per-coordinate, hence exactly independent across models).

The output MLP has ``n`` outputs (logits over the answer), trained with cross-entropy;
accuracy is measured on fresh samples. :func:`train_comp_cached` stores the result under
the full configuration with :func:`attnlab.book.cache.cached`, so an interrupted sweep resumes.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from attnlab._checks import check_float, check_int
from attnlab.book.device import default_device
from attnlab.book.progress import progress as progress_bar
from attnlab.book.sweep import sweep
from attnlab.composition.tasks import comp_task
from attnlab.composition.transformer import SoftmaxTransformer


def _batch(n: int, S: int, B: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randint(0, n, (S, B, 2 * n + 1), generator=gen, device=device)  # (S, B, T)


@torch.no_grad()
def accuracy(model: SoftmaxTransformer, n: int, samples: int, gen: torch.Generator) -> torch.Tensor:
    """Per-model accuracy ``(S,)`` on ``samples`` fresh uniform Comp_n inputs."""
    device = model.embed.device
    tokens = _batch(n, model.models, samples, gen, device)
    pred = model(tokens).argmax(-1)  # (S, B)
    return (pred == comp_task(tokens, n)).float().mean(-1).cpu()


def train_comp(
    n: int,
    *,
    layers: int,
    d: int,
    heads: int,
    mlp_width: int | list[int],
    seeds: list[int],
    steps: int,
    batch: int,
    lr: float,
    eval_every: int = 100,
    eval_samples: int = 2000,
    device: str = "auto",
    progress: bool = True,
) -> dict[str, Any]:
    """Train ``len(seeds)`` models on Comp_n and return their accuracy curves.

    Args:
        n: domain size, ``>= 2``.
        layers: attention layers (1 or 2 in the book).
        d: embedding dimension; heads: heads per layer.
        mlp_width: hidden units of the output MLP, or a list of widths: then one model per
            (width, seed) pair, all trained in one batched computation (width-major order).
        seeds: one model per seed (initialisation and data both follow the seed).
        steps: optimiser steps; batch: fresh inputs per model per step; lr: AdamW learning rate.
        eval_every: steps between accuracy measurements; eval_samples: inputs per measurement.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        progress: show a tqdm bar.

    Returns a JSON-ready dict: ``steps`` measured, ``acc`` (per model, per measurement),
    ``final`` (per model, on ``4 * eval_samples`` fresh inputs), and per model its ``widths``,
    ``seeds``, ``mlp_params`` and ``size = max(H, d, P)``.
    """
    n = check_int("n", n, low=2)
    layers = check_int("layers", layers, low=1)
    d = check_int("d", d, low=1)
    heads = check_int("heads", heads, low=1)
    steps = check_int("steps", steps, low=1)
    batch = check_int("batch", batch, low=1)
    lr = check_float("lr", lr, low=0.0, strict_low=True)
    eval_every = check_int("eval_every", eval_every, low=1)
    eval_samples = check_int("eval_samples", eval_samples, low=1)
    if not seeds:
        raise ValueError("seeds must list at least one seed")
    seeds = [check_int("seeds", s, low=0) for s in seeds]
    dev = default_device(device)
    widths = list(mlp_width) if isinstance(mlp_width, (list, tuple)) else [mlp_width]
    widths = [check_int("mlp_width", w, low=1) for w in widths]
    runs = [(w, seed) for w in widths for seed in seeds]  # one stacked model per (width, seed)
    S = len(runs)
    shape = dict(length=2 * n + 1, vocab=n, d=d, heads=heads, mlp_width=max(widths), out=n, layers=layers)
    shape.update(readout=2 * n, beta=d**-0.5)
    model = SoftmaxTransformer(**shape, models=S, mlp_widths=[w for w, _ in runs])
    with torch.no_grad():  # model s is initialised exactly as a lone model under its seed would be
        for s, (_, seed) in enumerate(runs):
            torch.manual_seed(seed)
            single = SoftmaxTransformer(**shape, models=1)
            for p, q in zip(model.parameters(), single.parameters(), strict=True):
                p[s] = q[0]
    model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.0)
    gen = torch.Generator(device=dev).manual_seed(10_000 + seeds[0])
    eval_gen = torch.Generator(device=dev).manual_seed(20_000 + seeds[0])
    measured, curves = [], []
    t0 = time.perf_counter()
    bar = progress_bar(
        range(1, steps + 1), disable=not progress, desc=f"n={n} L={layers} m={mlp_width}", leave=False
    )
    for step in bar:
        tokens = _batch(n, S, batch, gen, dev)
        logits = model(tokens)  # (S, B, n)
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), comp_task(tokens, n).flatten(), reduction="none"
        )
        loss = loss.view(S, batch).mean(-1).sum()  # sum over models: independent updates
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0 or step == steps:
            acc = accuracy(model, n, eval_samples, eval_gen)
            measured.append(step)
            curves.append(acc.tolist())
            bar.set_postfix(best=f"{acc.max():.2f}")
    final = accuracy(model, n, 4 * eval_samples, eval_gen)
    return {
        "steps": measured,
        "acc": [list(c) for c in zip(*curves, strict=True)],  # (S, measurements)
        "final": final.tolist(),
        "widths": [w for w, _ in runs],
        "seeds": [seed for _, seed in runs],
        "mlp_params": [model.mlp_params_of(w) for w, _ in runs],
        "size": [max(heads, d, model.mlp_params_of(w)) for w, _ in runs],
        "seconds": time.perf_counter() - t0,
    }


def train_comp_run(key: dict[str, Any]) -> dict[str, Any]:
    """One sweep task: :func:`train_comp` on a cache key ``{"kind": "train_comp", **config}``."""
    config = {k: v for k, v in key.items() if k != "kind"}
    return train_comp(**config, progress=True)


def train_comp_sweep(configs: list[dict[str, Any]], desc: str = "Comp_n runs") -> list[dict[str, Any]]:
    """:func:`train_comp` on each configuration (its keyword arguments), through
    :func:`attnlab.book.sweep.sweep`: cached, resumable, and on a Ray cluster when one is configured."""
    keys = [{"kind": "train_comp", **config} for config in configs]
    return sweep(train_comp_run, keys, namespace="composition", desc=desc)


def train_comp_cached(config: dict[str, Any], progress: bool = True) -> dict[str, Any]:
    """:func:`train_comp` on ``config`` (its keyword arguments), cached under the configuration."""
    return train_comp_sweep([config])[0]
