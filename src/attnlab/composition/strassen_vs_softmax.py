"""One Strassen layer against softmax layers, trained and timed (page 25's runs).

Every run is a :class:`~attnlab.composition.training.CompConfig` trained by the chapter's one
loop with the same budget:

* ``"comp"``: on Comp_n at page 24's plateau ``n``, one softmax layer, two softmax layers and
  one Strassen layer (:data:`COMP_MODELS`);
* ``"tokens"``: on Match3 and on binary-relation composition (an output at every token), one
  softmax and one Strassen layer each.

:func:`page_configs` builds them from the page's sizes, :func:`planned_work` their work (any
profile, nothing trained), :func:`timed_config` the run whose step the page times; and
:func:`time_step` times one attention layer as the context grows, the cost of attending to
pairs (:func:`step_matmul_flops` counts its matrix products), and :func:`comp_step_seconds` times
one training step of each Comp_n run; :func:`span_text` words a spread of per-seed results.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from attnlab._checks import check_choice, check_int
from attnlab.attention import attend
from attnlab.composition.model import TransformerConfig
from attnlab.composition.strassen import strassen_attention, strassen_attention_naive
from attnlab.composition.training import CompConfig, step_timer
from attnlab.runtime.device import default_device
from attnlab.runtime.seeds import model_seeds
from attnlab.runtime.work import Work, median_seconds, total

COMP_MODELS = {
    "softmax, 1 layer": dict(attention="softmax", layers=1),
    "softmax, 2 layers": dict(attention="softmax", layers=2),
    "Strassen, 1 layer": dict(attention="strassen", layers=1),
}
"""The models trained on Comp_n, by the name the page gives them."""


def page_configs(sizes: Any, seed: int = 0) -> list[tuple[str, CompConfig]]:
    """Page 25's runs at ``sizes("25_strassen_attention", profile)``, as ``(tag, config)``.

    ``"comp"``: each of :data:`COMP_MODELS` on Comp_n (``n = sizes.comp_n``); then ``"tokens"``:
    one softmax and one Strassen layer on Match3 (``sizes.match3.heads`` heads) and on relation
    composition. All share the
    model seeds ``derive_seed(seed, "model", i)``.
    """
    seeds = model_seeds(seed, sizes.seeds, "model")

    def model(**kind: Any) -> TransformerConfig:
        return TransformerConfig(**{"d": sizes.d, "heads": sizes.heads, **kind})

    models = dict(mlp_width=sizes.mlp_width, seeds=seeds)
    comp_common = dict(task="comp", n=sizes.comp_n, steps=sizes.steps, batch=sizes.batch, lr=sizes.lr)
    comp_common.update(eval_every=sizes.eval_every, eval_samples=sizes.eval_samples, **models)
    comp = [("comp", CompConfig(model=model(**kind), **comp_common)) for kind in COMP_MODELS.values()]
    token_common = dict(steps=sizes.token_steps, batch=sizes.token_batch, lr=sizes.token_lr, **models)
    token_common.update(eval_every=sizes.token_eval_every, eval_samples=sizes.token_eval_samples)
    m3 = sizes.match3
    tasks = (
        ("match3", dict(N=m3.N, m=m3.m), dict(heads=m3.heads)),  # the paper's two Match3 heads
        ("brc", vars(sizes.brc), {}),
    )
    tokens = [
        ("tokens", CompConfig(task=task, model=model(attention=attention, **heads), **params, **token_common))
        for task, params, heads in tasks
        for attention in ("softmax", "strassen")
    ]
    return comp + tokens


def timed_config(sizes: Any, seed: int = 0) -> CompConfig:
    """The run whose step is timed to estimate the page's time: the Strassen layer on Comp_n."""
    return next(
        c for tag, c in page_configs(sizes, seed) if tag == "comp" and c.model.attention == "strassen"
    )


def planned_work(sizes: Any) -> Work:
    """Page 25's training work at ``sizes`` (runs, optimiser steps, FLOPs), without training."""
    return total(c.work() for _, c in page_configs(sizes))


def _layer_step(form: str, T: int, d: int, batch: int, device: str, seed: int) -> Callable[[], None]:
    """One forward + backward pass of one attention layer per call (see :func:`time_step`)."""
    check_choice("form", form, ("strassen", "naive", "softmax"))
    T, d = check_int("T", T, low=1), check_int("d", d, low=1)
    batch = check_int("batch", batch, low=1)
    dev = default_device(device)
    gen = torch.Generator(device=dev).manual_seed(seed)
    x = torch.randn(batch, T, d, generator=gen, device=dev)
    k = 5 if form != "softmax" else 3
    W = (torch.randn(k, d, d, generator=gen, device=dev) * d**-0.5).requires_grad_()
    beta = d**-0.5

    def step() -> None:
        z = torch.einsum("btd,ked->kbte", x, W)  # (k, B, T, d)
        if form == "softmax":
            out, _ = attend(z[0], z[1], z[2], beta=beta)
        elif form == "naive":
            out = strassen_attention_naive(*z, beta=beta)
        else:
            out = strassen_attention(*z, beta=beta)
        out.square().sum().backward()
        if dev.type == "cuda":
            torch.cuda.synchronize()

    return step


def time_step(
    form: str,
    T: int,
    *,
    d: int = 16,
    batch: int = 4,
    repeats: int = 3,
    min_seconds: float = 0.0,
    device: str = "cpu",
    seed: int = 0,
) -> float:
    """Median seconds of one forward + backward pass of one attention layer over ``T`` tokens.

    ``form``: ``"strassen"`` (matrix-product form), ``"naive"`` (the ``T^3`` scores) or
    ``"softmax"`` (:func:`attnlab.attention.attend`). All ``T`` positions are queries; one head
    of width ``d``; ``batch`` sequences; one untimed warm-up pass, then at least ``repeats``
    timed passes and more until they take ``min_seconds``.
    """
    step = _layer_step(form, T, d, batch, device, seed)
    return median_seconds(step, repeats=repeats, warmup=1, min_seconds=min_seconds)


def step_matmul_flops(form: str, T: int, *, d: int = 16, batch: int = 4, seed: int = 0) -> float:
    """FLOPs of the matrix products in the pass :func:`time_step` times (forward and backward),
    counted by ``torch.utils.flop_counter.FlopCounterMode`` on one CPU pass; element-wise work
    (exponentials, products with ``v``) is not counted. Divided by the measured time it gives the
    rate a form's products reach at ``T``."""
    step = _layer_step(form, T, d, batch, "cpu", seed)
    with FlopCounterMode(display=False) as counter:
        step()
    return float(counter.get_total_flops())


def comp_step_seconds(
    sizes: Any, seed: int = 0, device: str = "cpu", *, repeats: int = 5, min_seconds: float = 0.0
) -> dict[str, float]:
    """Median seconds of one training step of each Comp_n run of the page (:data:`COMP_MODELS`,
    by name): the batched run as it trains (all its seeds, its batch), on throw-away models with
    their own data stream, so the page's runs are unchanged; at least ``repeats`` steps each,
    and more until they take ``min_seconds``."""
    runs = [c for tag, c in page_configs(sizes, seed) if tag == "comp"]
    return {
        name: median_seconds(step_timer(cfg, device), repeats=repeats, warmup=1, min_seconds=min_seconds)
        for name, cfg in zip(COMP_MODELS, runs, strict=True)
    }


def span_text(values: Sequence[float], digits: int = 3) -> str:
    """Where ``values`` (one per seed) lie, as prose: ``"1.000 on every seed"`` when they agree
    to ``digits`` decimals, else ``"between 0.452 and 0.461"``."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("values must hold at least one number, got none")
    digits = check_int("digits", digits, low=0)
    lo, hi = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    if lo == hi:
        return f"{lo} on every seed" if len(values) > 1 else lo
    return f"between {lo} and {hi}"
