"""Atomic files and a results cache keyed by configuration and by the code that computes it.

Long sweeps store each finished configuration with :func:`cached`; an interrupted sweep
re-run with the same configurations loads what it finished and computes only the rest.
The key hashes the configuration, torch's version and the code that computes the result
(:func:`code_hash`: the computing module and every ``attnlab`` module it imports, read as
syntax trees without docstrings), so an edit that could change a number discards the
results it affects, while a docstring, a comment or a page of the book keeps every one.
:func:`source_hash` (every file of the package) is what a page's provenance records.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
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


_SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding attnlab (src/)


def _module_file(name: str, root: Path) -> Path | None:
    """The source file of module ``name``: under ``root`` for ``attnlab``'s own, else where Python
    imported it from (``None`` for a name that is no module, e.g. a function's)."""
    if name != "attnlab" and not name.startswith("attnlab."):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        return Path(file) if file and file.endswith(".py") else None
    base = root.joinpath(*name.split("."))
    for file in (base.with_suffix(".py"), base / "__init__.py"):
        if file.is_file():
            return file
    return None


def _code_tree(file: Path) -> tuple[str, set[str]]:
    """The syntax tree of ``file`` without docstrings, dumped, and the ``attnlab`` modules it imports."""
    tree = ast.parse(file.read_text())
    imports: set[str] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
        if isinstance(node, ast.Import):
            imports |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            imports.add(node.module)
            imports |= {f"{node.module}.{a.name}" for a in node.names}
    mine = {name for name in imports if name == "attnlab" or name.startswith("attnlab.")}
    return ast.dump(tree), mine


def code_modules(module: str, root: Path | None = None) -> list[str]:
    """``module`` and every ``attnlab`` module it imports, transitively (read, not imported), sorted.

    ``module`` is an ``attnlab`` module or one already imported (a test's or a user's compute
    function); ``root`` is the folder holding the ``attnlab`` package (default: the installed one).
    """
    root = Path(root) if root is not None else _SOURCE_ROOT
    if _module_file(module, root) is None:
        raise ValueError(f"module must name an attnlab module or an imported one with source; got {module!r}")
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        file = _module_file(name, root)
        if name in seen or file is None:
            continue
        seen.add(name)
        todo.extend(_code_tree(file)[1] - seen)
    return sorted(seen)


def code_hash(module: str, root: Path | None = None) -> str:
    """Hash of the code that ``module`` runs: the syntax trees of :func:`code_modules`, without docstrings.

    Comments are not in a syntax tree, so only an edit that could change what the code
    computes changes the hash.
    """
    root = Path(root) if root is not None else _SOURCE_ROOT
    digest = hashlib.sha256()
    for name in code_modules(module, root):
        digest.update(f"{name}\0{_code_tree(_module_file(name, root))[0]}\0".encode())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """``$ATTNLAB_CACHE`` or ``~/.cache/attnlab``."""
    env = os.environ.get("ATTNLAB_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "attnlab"


def config_key(config: dict[str, Any], code: str) -> str:
    """Stable hash of a JSON-serialisable configuration, the code computing it and torch's version."""
    import torch

    blob = json.dumps(
        {"config": config, "code": code, "torch": torch.__version__}, sort_keys=True, default=str
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


MISSING = object()
"""What :func:`lookup` returns when nothing is stored for a configuration."""


def _entry(config: dict[str, Any], namespace: str, code: str) -> Path:
    return cache_dir() / namespace / f"{config_key(config, code)}.json"


def enabled() -> bool:
    """False when ``ATTNLAB_CACHE=off``."""
    return os.environ.get("ATTNLAB_CACHE") != "off"


def lookup(config: dict[str, Any], *, code: str, namespace: str = "results") -> Any:
    """The result stored for ``config`` computed by ``code`` (a :func:`code_hash`), or :data:`MISSING`.

    Always :data:`MISSING` when the cache is off.
    """
    if not enabled():
        return MISSING
    path = _entry(config, namespace, code)
    if path.exists():
        try:
            return json.loads(path.read_text())["result"]
        except (json.JSONDecodeError, KeyError):
            path.unlink(missing_ok=True)  # a damaged entry is recomputed
    return MISSING


def store(config: dict[str, Any], result: Any, *, code: str, namespace: str = "results") -> None:
    """Store ``result`` (JSON) for ``config`` and ``code`` atomically (not when the cache is off)."""
    if enabled():
        atomic_write_text(
            _entry(config, namespace, code),
            json.dumps({"config": config, "code": code, "result": result}, default=str),
        )


def cached(config: dict[str, Any], compute: Callable[[], T], *, code: str, namespace: str = "results") -> T:
    """Return the JSON result stored for ``config`` and ``code``, or ``compute()`` it and store it atomically.

    ``code`` names what computes the result (a :func:`code_hash`); ``compute`` must return
    something ``json.dumps`` accepts. Set ``ATTNLAB_CACHE=off`` to bypass the cache entirely.
    """
    hit = lookup(config, code=code, namespace=namespace)
    if hit is not MISSING:
        return hit
    result = compute()
    store(config, result, code=code, namespace=namespace)
    return result
