"""Choosing where tensors live: a GPU when one is present, else the CPU."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

from attnlab._checks import check_choice


def default_device(device: torch.device | str = "auto") -> torch.device:
    """The one device resolver: ``"auto"`` picks CUDA when available, else CPU; ``"cpu"``,
    ``"cuda"`` or ``"cuda:1"`` force one; a ``torch.device`` is returned as it is.

    ``"auto"`` first honours the environment variable ``ATTNLAB_DEVICE`` (``auto``, ``cpu`` or
    ``cuda``), so a notebook that calls ``default_device()`` can be sent to the CPU on a GPU
    machine (or made to insist on the GPU) without editing it.
    """
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise TypeError(f"device must be a str or torch.device, got {type(device).__name__}")
    check_choice("device", device.split(":")[0], ("auto", "cpu", "cuda"))
    if device == "auto":
        device = check_choice(
            "ATTNLAB_DEVICE", os.environ.get("ATTNLAB_DEVICE", "auto"), ("auto", "cpu", "cuda")
        )
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for, but torch sees no CUDA device: use auto or cpu")
    return torch.device(device)


def device_name(device: torch.device | str = "auto") -> str:
    """What ``device`` is, for a reader: the GPU's name, or the CPU's model name (from
    ``/proc/cpuinfo`` where there is one) with its core count."""
    dev = default_device(device)
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    name = platform.processor() or platform.machine() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


_ALLOCATOR_TUNED = False


def keep_freed_memory() -> bool:
    """Ask glibc's ``malloc`` to keep freed memory for reuse instead of handing it back to the OS.

    A training step allocates and frees the same large activations (tens to hundreds of MB)
    every step. By default glibc serves large blocks with fresh ``mmap`` pages and returns them
    on ``free``, so every step pays a page fault for every page it writes, which on a small CPU
    can cost more than the arithmetic. Setting ``M_MMAP_MAX = 0`` (never ``mmap``) and a huge
    ``M_TRIM_THRESHOLD`` (never trim the heap) makes the second step onward reuse warm pages. The setting is
    process-wide and only affects later allocations; the price is that the process keeps its
    peak memory until it exits. Returns whether the setting was applied (glibc only; a no-op
    returning ``False`` elsewhere, or when ``ATTNLAB_KEEP_FREED_MEMORY=0``).
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED:
        return True
    import ctypes
    import platform

    if os.environ.get("ATTNLAB_KEEP_FREED_MEMORY", "1") == "0" or platform.system() != "Linux":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # from <malloc.h>
        ok = libc.mallopt(M_MMAP_MAX, 0) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1) == 1
    except (OSError, AttributeError):  # not glibc
        return False
    _ALLOCATOR_TUNED = ok
    return ok


MEMORY_ENV = "ATTNLAB_MEMORY_GB"
CPU_MEMORY_SHARE = 0.6
GPU_MEMORY_SHARE = 0.85


def memory_budget(device: torch.device | str = "cpu") -> int:
    """Bytes a training run may plan to use on ``device`` at once (its activations, parameters
    and optimizer state), so a sweep splits its models into passes that fit (see
    :func:`attnlab.rank.memory.models_per_pass`).

    ``$ATTNLAB_MEMORY_GB`` (a positive number of GiB) when set; else, on a GPU,
    :data:`GPU_MEMORY_SHARE` of the memory free on it now; on the CPU, :data:`CPU_MEMORY_SHARE`
    of the machine's physical memory (the CPU is assumed to be the run's own: a process that
    keeps its freed memory, :func:`keep_freed_memory`, would otherwise see its own reuse as
    pressure).
    """
    raw = os.environ.get(MEMORY_ENV)
    if raw:
        try:
            gib = float(raw)
        except ValueError:
            gib = -1.0
        if not gib > 0:
            raise ValueError(f"{MEMORY_ENV} must be a positive number of GiB, got {raw!r}")
        return int(gib * 2**30)
    device = torch.device(device)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(GPU_MEMORY_SHARE * free)
    return int(CPU_MEMORY_SHARE * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
