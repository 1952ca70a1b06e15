"""Choosing where tensors live: a GPU when one is present, else the CPU."""

from __future__ import annotations

import torch

from attnlab._checks import check_choice


def default_device(device: str = "auto") -> torch.device:
    """``"auto"`` picks CUDA when available, else CPU; ``"cpu"``/``"cuda"`` force one."""
    check_choice("device", device, ("auto", "cpu", "cuda"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but torch sees no CUDA device; use 'auto' or 'cpu'")
    return torch.device(device)
