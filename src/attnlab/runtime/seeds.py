"""The one seed rule: every random stream of the book is derived from a page's seed.

A page runs with one seed (0 for the site, 1 and 2 in ``make verify``). Everything random it
draws (each model's initialisation, each model's training data, held-out data, Monte Carlo
samples, random heads) comes from ``derive_seed(seed, *keys)``, where the keys name the
stream: ``derive_seed(seed, "heads", H)``, ``derive_seed(model_seed, "train data")``. Streams
with different keys are independent, the same keys give the same stream in every process
and on every machine (a hash, not Python's salted ``hash``), and no two pages' arithmetic
(``1000 * seed + j``) can collide.
"""

from __future__ import annotations

import hashlib

import torch

from attnlab._checks import check_int

__all__ = ["data_generators", "derive_seed", "generator", "model_seeds"]


def derive_seed(seed: int, *keys: int | str) -> int:
    """The seed of the stream named ``keys`` under ``seed``: a stable 63-bit hash.

    With no keys it is ``seed`` itself, so ``derive_seed(seed)`` seeds the page's main stream.

    >>> derive_seed(0, "heads", 4) == derive_seed(0, "heads", 4) != derive_seed(1, "heads", 4)
    True
    """
    check_int("seed", seed, low=0)
    if not keys:
        return seed
    for key in keys:
        if isinstance(key, bool) or not isinstance(key, int | str):
            raise TypeError(f"derive_seed keys must be int or str, got {type(key).__name__}")
    text = "/".join([str(seed), *(f"{type(k).__name__[0]}:{k}" for k in keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def generator(seed: int | torch.Generator, device: torch.device | str = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed`` (a generator is returned as is)."""
    if isinstance(seed, torch.Generator):
        return seed
    gen = torch.Generator(device=torch.device(device))
    gen.manual_seed(check_int("seed", seed, low=0))
    return gen


def model_seeds(seed: int, n: int, stream: str = "model") -> tuple[int, ...]:
    """The seeds of a page's ``n`` models under the page's ``seed``: ``derive_seed(seed, stream, j)``."""
    check_int("n", n, low=1)
    return tuple(derive_seed(seed, stream, j) for j in range(n))


def data_generators(
    seeds: tuple[int, ...] | list[int], stream: str, device: torch.device | str = "cpu"
) -> list[torch.Generator]:
    """One generator per model: ``derive_seed(seed, stream)`` for each model's ``seed``.

    ``stream`` names the data (``"train data"``, ``"eval data"``, ...), so a model sees the
    same data alone or batched with others, and its streams are independent of each other.
    """
    return [generator(derive_seed(s, stream), device) for s in seeds]
