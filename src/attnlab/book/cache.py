"""Atomic files and a results cache keyed by the full configuration.

Long sweeps store each finished configuration with :func:`cached`; an interrupted sweep
re-run with the same configurations loads what it finished and computes only the rest.
The key is a hash of the configuration *and* of the package's source, so changing the
code never serves results the current code would not produce.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are for others to read too
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@lru_cache(maxsize=1)
def source_hash() -> str:
    """Hash of every ``.py`` file of the installed ``attnlab`` package."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent  # src/attnlab
    for file in sorted(package.rglob("*.py")):
        digest.update(file.relative_to(package).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """``$ATTNLAB_CACHE`` or ``~/.cache/attnlab``."""
    env = os.environ.get("ATTNLAB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "attnlab"


def config_key(config: dict[str, Any]) -> str:
    """Stable hash of a JSON-serialisable configuration, the package source and the torch version."""
    import torch

    blob = json.dumps(
        {"config": config, "source": source_hash(), "torch": torch.__version__}, sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


MISSING = object()
"""What :func:`lookup` returns when nothing is stored for a configuration."""


def _entry(config: dict[str, Any], namespace: str) -> Path:
    return cache_dir() / namespace / f"{config_key(config)}.json"


def enabled() -> bool:
    """False when ``ATTNLAB_CACHE=off``."""
    return os.environ.get("ATTNLAB_CACHE") != "off"


def lookup(config: dict[str, Any], *, namespace: str = "results") -> Any:
    """The result stored for ``config``, or :data:`MISSING` (always, when the cache is off)."""
    if not enabled():
        return MISSING
    path = _entry(config, namespace)
    if path.exists():
        try:
            return json.loads(path.read_text())["result"]
        except (json.JSONDecodeError, KeyError):
            path.unlink(missing_ok=True)  # a damaged entry is recomputed
    return MISSING


def store(config: dict[str, Any], result: Any, *, namespace: str = "results") -> None:
    """Store ``result`` (JSON-serialisable) for ``config`` atomically (nothing when the cache is off)."""
    if enabled():
        atomic_write_text(
            _entry(config, namespace), json.dumps({"config": config, "result": result}, default=str)
        )


def cached(config: dict[str, Any], compute: Callable[[], T], *, namespace: str = "results") -> T:
    """Return the JSON result stored for ``config``, or ``compute()`` it and store it atomically.

    ``compute`` must return something ``json.dumps`` accepts. Set ``ATTNLAB_CACHE=off`` to
    bypass the cache entirely.
    """
    hit = lookup(config, namespace=namespace)
    if hit is not MISSING:
        return hit
    result = compute()
    store(config, result, namespace=namespace)
    return result
