"""One layer against two on Comp_n, and how wide one layer's MLP must be on Ind_n (page 24's runs).

The lower bound says what one softmax layer can express; page 24 asks what gradient descent
finds. Two experiments, every run a :class:`~attnlab.composition.training.CompConfig` trained by
the chapter's one loop:

* ``"depth"``: one and two layers of the same ``d``, ``H`` and output MLP (the same size
  ``max(H, d, P)``) on Comp_n at every ``n`` of the profile, answering with ``n`` logits;
* ``"frontier"``: the theorem's own model, one layer with a single real output read at a fixed
  auxiliary token, on Ind_n (split-VC dimension exactly ``n``), at every MLP width of the
  profile, to find the smallest width whose best seed reaches the threshold accuracy
  (:func:`frontier`): the quantity the VC bound
  (:func:`~attnlab.composition.vc.min_mlp_params_vc`) bounds from below.

:func:`page_configs` builds both from the page's sizes, :func:`planned_work` their work (any
profile, nothing trained), and :func:`timed_config` the run whose step the page times to
estimate its training time.
"""

from __future__ import annotations

from typing import Any

from attnlab.composition.model import TransformerConfig
from attnlab.composition.training import CompConfig
from attnlab.runtime.runs import Runs
from attnlab.runtime.seeds import derive_seed, model_seeds
from attnlab.runtime.work import Work, total


def page_configs(sizes: Any, seed: int = 0) -> list[tuple[str, CompConfig]]:
    """Page 24's runs at ``sizes("24_training_composition", profile)``, as ``(tag, config)``.

    ``"depth"``: one and two layers on Comp_n at every ``n`` of ``sizes.ns`` (model seeds
    ``derive_seed(seed, "model", i)``); then ``"frontier"``: one layer on Ind_n with every MLP
    width of ``sizes.widths`` at every ``n`` of ``sizes.frontier_ns`` (seeds from
    ``derive_seed(seed, "frontier")``, so they differ from the depth runs').
    """
    common = dict(batch=sizes.batch, lr=sizes.lr, eval_every=sizes.eval_every)
    depth = [
        CompConfig(
            task="comp",
            n=n,
            model=TransformerConfig(layers=layers, d=sizes.d, heads=sizes.heads),
            mlp_width=sizes.mlp_width,
            seeds=model_seeds(seed, sizes.seeds, "model"),
            steps=sizes.steps,
            **common,
        )
        for n in sizes.ns
        for layers in (1, 2)
    ]
    frontier = [
        CompConfig(
            task="ind",
            n=n,
            model=TransformerConfig(d=sizes.d, heads=sizes.heads),
            mlp_width=tuple(sizes.widths),
            seeds=model_seeds(derive_seed(seed, "frontier"), sizes.frontier_seeds, "model"),
            steps=sizes.frontier_steps,
            **common,
        )
        for n in sizes.frontier_ns
    ]
    return [("depth", c) for c in depth] + [("frontier", c) for c in frontier]


def timed_config(sizes: Any, seed: int = 0) -> CompConfig:
    """The run whose step is timed to estimate the page's time: two layers at the largest ``n``."""
    return [c for tag, c in page_configs(sizes, seed) if tag == "depth"][-1]


def planned_work(sizes: Any) -> Work:
    """Page 24's training work at ``sizes`` (runs, optimiser steps, FLOPs), without training."""
    return total(c.work() for _, c in page_configs(sizes))


def frontier(runs: Runs, n: int, threshold: float) -> dict[str, Any]:
    """One layer's frontier at ``n`` from the ``"frontier"`` rows of ``runs``.

    ``by_width``: per MLP width, ``[P, best accuracy over seeds]``; ``width`` and ``P``: the
    smallest width whose best seed reaches ``threshold``, and its ``P`` (``None``: none does).
    """
    by_width: dict[int, list[Any]] = {}
    for row in runs.select(tag="frontier", n=n):
        entry = by_width.setdefault(row["width"], [row["mlp_params"], 0.0])
        entry[1] = max(entry[1], row["final"])
    reached = [(w, P) for w, (P, acc) in sorted(by_width.items()) if acc >= threshold]
    return {
        "by_width": by_width,
        "width": reached[0][0] if reached else None,
        "P": reached[0][1] if reached else None,
    }
