"""Argument checks shared by the package: every bad value raises a ``ValueError``
that names the parameter and the allowed range, so a mistake injected by
papermill reads as clearly as one made at the Python prompt."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import torch


def check_int(name: str, value: object, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value}")
    return value


def check_float(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    strict_low: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` in ``[low, high]`` (``(low, high]`` if ``strict_low``)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number{_range(low, high, strict_low)}, got {value!r}")
    value = float(value)
    too_low = low is not None and (value <= low if strict_low else value < low)
    if too_low or (high is not None and value > high):
        raise ValueError(f"{name} must be a number{_range(low, high, strict_low)}, got {value}")
    return value


def check_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value  # type: ignore[return-value]


def check_tensor(name: str, x: object, shape: Sequence[int | str | None]) -> torch.Tensor:
    """Check that ``x`` is a tensor of the given shape.

    ``shape`` lists one entry per dimension: an ``int`` the size must equal, or a
    ``str``/``None`` for a free size (the string names it in the message). A leading
    ``"..."`` allows any number of leading batch dimensions.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {_fmt(shape)}, got {type(x).__name__}")
    dims = list(shape)
    leading = bool(dims) and dims[0] == "..."
    if leading:
        dims = dims[1:]
    ok = x.dim() >= len(dims) if leading else x.dim() == len(dims)
    if ok:
        tail = x.shape[x.dim() - len(dims) :]
        ok = all(not isinstance(d, int) or d == s for d, s in zip(dims, tail, strict=True))
    if not ok:
        raise ValueError(f"{name} must have shape {_fmt(shape)}, got {tuple(x.shape)}")
    return x


def check_tokens(name: str, x: torch.Tensor, low: int, high: int, what: str = "") -> torch.Tensor:
    """Check that the tensor ``x`` holds integers in ``[low, high]`` (``what`` describes them)."""
    if x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool:
        raise ValueError(f"{name} must be an integer tensor{what} in {low}..{high}, got dtype {x.dtype}")
    if x.numel() and (int(x.min()) < low or int(x.max()) > high):
        raise ValueError(
            f"{name} must hold integers{what} in {low}..{high}, got values in {int(x.min())}..{int(x.max())}"
        )
    return x


def _fmt(shape: Sequence[int | str | None]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def _range(low: float | None, high: float | None, strict_low: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {'(' if strict_low else '['}{low}, {high}]"
    if low is not None:
        return f" {'>' if strict_low else '>='} {low}"
    if high is not None:
        return f" <= {high}"
    return ""
