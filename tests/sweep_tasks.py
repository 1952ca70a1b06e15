"""Tiny module-level training tasks for the sweep tests (Ray workers import them by name)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import torch


def train_tiny(config: dict[str, Any]) -> dict[str, Any]:
    """Fit a small linear model by gradient descent; deterministic given ``config['seed']``."""
    gen = torch.Generator().manual_seed(config["seed"])
    x = torch.randn(64, 8, generator=gen)
    y = x @ torch.randn(8, 1, generator=gen)
    w = torch.zeros(8, 1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=config.get("lr", 0.05))
    for _ in range(config.get("steps", 30)):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
    return {"loss": loss.item(), "w0": w[0, 0].item()}


def _log(config: dict[str, Any], what: str) -> None:
    if "log" in config:
        with open(config["log"], "a") as fh:
            fh.write(f"{what} {config['seed']}\n")


def die_once(config: dict[str, Any]) -> dict[str, Any]:
    """The first attempt kills its own worker process (SIGKILL); a retry trains normally."""
    marker = Path(config["marker"])
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return train_tiny(config)


def gated(config: dict[str, Any]) -> dict[str, Any]:
    """Configurations with ``wait`` block until the file ``config['gate']`` exists."""
    if config.get("wait"):
        deadline = time.monotonic() + 120
        while not Path(config["gate"]).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    result = train_tiny(config)
    _log(config, "done")
    return result
