"""Execute the book's notebooks headless with papermill, once each, into ``executed/``.

The book renders the executed copies as they are (Jupyter Book's own execution is off),
so a build runs every notebook exactly once. The source of a page is its jupytext file
``notebooks/NAME.py`` (the paired ``.ipynb`` is for papermill users and JupyterLab): it is
converted in memory and executed, so an edited ``.py`` is never published stale. A notebook
is skipped when its executed copy is current: same ``.py`` source, same package source, same
profile and seed, and the last run succeeded. ``--force`` re-runs regardless.

Seed 0 is the book's: its executed copies go to ``executed/``, which the site renders. Other
seeds (``make verify``) go to ``_build/verify/<profile>/seed-<seed>/`` and never replace them.
The claims ledger page (:data:`attnlab.book.toc.LEDGER`) is re-run whenever any page's results
change.

While a notebook runs, a bar counts its cells and the kernel's own progress bars (training)
stream to the terminal, with an estimate from the notebook's last run.

Usage::

    python -m attnlab.book.execute --profile quick            # every notebook in _toc.yml
    python -m attnlab.book.execute --profile laptop 00_attention notebooks/12_training_rank_heads.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attnlab._checks import check_choice, check_int
from attnlab.book.page import project_root, results_dir, versions
from attnlab.book.profiles import PROFILES, SMOKE_ENV
from attnlab.book.toc import EXECUTED, LEDGER, toc_notebooks
from attnlab.runtime.cache import atomic_write_text, source_hash


@dataclass
class Execution:
    """What happened to one notebook: its name, wall time in seconds and whether it was skipped."""

    notebook: str
    seconds: float
    skipped: bool = False


def notebook_name(arg: str | Path, root: Path | None = None) -> str:
    """The notebook a command-line argument means: a name, or a ``.py`` / ``.ipynb`` path to one.

    Raises ``ValueError`` naming the known notebooks when ``arg`` is none of them.
    """
    root = root or project_root()
    known = sorted({p.stem for p in (root / "notebooks").glob("*.py")} | set(toc_notebooks(root)))
    text = str(arg)
    name = Path(text).stem if text.endswith((".py", ".ipynb")) else text
    if name not in known:
        raise ValueError(
            f"notebook must be one of {', '.join(known)} (a name, or its .py/.ipynb path); got {text!r}"
        )
    return name


def read_source(root: Path, name: str) -> tuple[Any, bytes]:
    """The notebook to execute and the bytes that identify it: the jupytext ``.py`` (else the ``.ipynb``)."""
    import jupytext
    import nbformat

    py, ipynb = root / "notebooks" / f"{name}.py", root / "notebooks" / f"{name}.ipynb"
    if py.exists():
        text = py.read_text()
        return jupytext.reads(text, fmt="py:percent"), text.encode()
    if ipynb.exists():
        raw = ipynb.read_bytes()
        return nbformat.reads(raw.decode(), as_version=4), raw
    raise ValueError(f"notebook must name a file in notebooks/; {py} does not exist")


def executed_path(root: Path, name: str, profile: str, seed: int) -> Path:
    """Where the executed copy goes: ``executed/`` for seed 0 (the site), else under ``_build/verify``."""
    if seed == 0:
        return root / EXECUTED / f"{name}.ipynb"
    return root / "_build" / "verify" / profile / f"seed-{seed}" / f"{name}.ipynb"


def library_versions() -> str:
    """Python's and every dependency's version (:func:`attnlab.book.page.versions`, less the
    operating system's): a new torch or numpy can change the numbers, so it re-executes pages."""
    return json.dumps({k: v for k, v in versions().items() if k != "platform"}, sort_keys=True)


def _stamp(source: bytes, name: str, profile: str, seed: int) -> str:
    """What an executed page depends on: its source, the package's, the libraries' versions, the
    profile and the seed (and, for the ledger, every page's results)."""
    digest = hashlib.sha256()
    digest.update(source)
    digest.update(f"{source_hash()}|{library_versions()}|{profile}|{seed}".encode())
    if name == LEDGER:  # the ledger shows every page's results: it is stale when any of them changes
        base = results_dir() / profile
        for file in sorted(base.glob("seed-*/*.json")):
            if file.stem != LEDGER:
                digest.update(str(file.relative_to(base)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _stamp_path(root: Path, target: Path) -> Path:
    return root / "_build" / "stamps" / target.relative_to(root).with_suffix(".json")


def last_seconds(name: str, profile: str, seed: int = 0, root: Path | None = None) -> float | None:
    """Wall time of the notebook's last successful run with this profile and seed, if any."""
    root = root or project_root()
    path = _stamp_path(root, executed_path(root, name, profile, seed)).with_suffix(".time")
    try:
        return float(json.loads(path.read_text())[profile])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager

    class LocalKernelManager(AsyncKernelManager):
        """Kernels talk over local sockets (no TCP ports, no 'without encryption' warning)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.transport = "ipc"
            # the sockets' path prefix: a fresh folder per kernel, so kernels started at the same
            # time never share a socket (the default prefix is a fixed name in the working directory)
            self.ip = str(Path(tempfile.mkdtemp(prefix="attnlab-kernel-")) / "kernel")

    return LocalKernelManager


QUICK_CELL_TIMEOUT = 1800
"""Seconds a cell of the ``quick`` profile may run before the execution fails (CI's guard)."""


def cell_timeout(profile: str, smoke: int | None = None, timeout: int | None = None) -> int | None:
    """Seconds a cell may run (``None``: no limit): ``timeout`` when given, else
    :data:`QUICK_CELL_TIMEOUT` for a ``quick`` run and no limit for the larger profiles and smoke
    runs, whose training cells run for hours on a CPU or at paper scale."""
    if timeout is not None:
        return check_int("timeout", timeout, low=1)
    return QUICK_CELL_TIMEOUT if profile == "quick" and smoke is None else None


def execute(
    name: str,
    profile: str = "quick",
    seed: int = 0,
    *,
    root: Path | None = None,
    force: bool = False,
    timeout: int | None = None,
    progress: bool = False,
    smoke: int | None = None,
) -> Execution:
    """Run notebook ``name`` with ``profile``/``seed`` injected into :func:`executed_path`.

    Raises papermill's ``PapermillExecutionError`` (after writing the failed notebook, so
    the traceback can be read) when a cell fails, e.g. a claim that does not hold. With
    ``progress``, a cell bar and the kernel's stderr (its progress bars) go to this stderr.
    ``smoke=k`` makes a smoke run (:data:`attnlab.book.profiles.SMOKE_ENV`): full-size models, ``k``
    training steps each, claims recorded but not checked, into ``_build/smoke/<profile>/``.
    ``timeout``: seconds a cell may run; default :data:`QUICK_CELL_TIMEOUT` for the ``quick``
    profile (a hung cell fails CI) and none otherwise (a ``paper`` training cell runs for hours).
    """
    import papermill  # the book toolchain; imported here so the package needs it only to execute

    root = root or project_root()
    check_choice("profile", profile, PROFILES)
    check_int("seed", seed, low=0)
    name = notebook_name(name, root)
    notebook, source = read_source(root, name)
    timeout = cell_timeout(profile, smoke, timeout)
    if smoke is not None:
        return _smoke(
            papermill, root, name, notebook, profile, seed, check_int("smoke", smoke, low=1), timeout
        )
    target = executed_path(root, name, profile, seed)
    stamp = _stamp(source, name, profile, seed)
    stamp_file = _stamp_path(root, target)
    if not force and target.exists() and stamp_file.exists():
        if json.loads(stamp_file.read_text()).get("stamp") == stamp:
            return Execution(name, 0.0, skipped=True)
    stamp_file.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("ATTNLAB_PROGRESS", "text")  # kernels inherit it: text bars, not widgets
    t0 = time.perf_counter()
    _papermill(papermill, notebook, target, root, profile, seed, timeout, name if progress else None)
    seconds = time.perf_counter() - t0
    atomic_write_text(stamp_file, json.dumps({"stamp": stamp, "profile": profile, "seconds": seconds}))
    times = stamp_file.with_suffix(".time")
    try:
        known = json.loads(times.read_text())
    except (OSError, ValueError):
        known = {}
    atomic_write_text(times, json.dumps({**known, profile: round(seconds, 1)}))
    return Execution(name, seconds)


def _papermill(
    papermill, notebook, target: Path, root: Path, profile: str, seed: int, timeout: int | None, bar
):
    """Execute ``notebook`` into ``target`` with the parameters injected; ``bar``: the name shown
    on a live cell bar (the kernel's stderr streams here too), or ``None`` for no progress."""
    papermill.execute_notebook(
        notebook,
        str(target),
        parameters={"profile": profile, "seed": seed},
        cwd=str(root / "notebooks"),
        kernel_name="python3",
        language="python",
        progress_bar={"desc": f"  {bar}", "unit": "cell", "leave": False} if bar else False,
        stderr_file=sys.stderr if bar else None,
        execution_timeout=timeout,
        kernel_manager_class=_kernel_manager_class(),
    )
    _finish_executed(Path(target))


def glued_twice(nb: Any) -> dict[str, list[int]]:
    """The glue names that more than one cell of the executed notebook ``nb`` glues, each with
    those cells' indices. myst-nb resolves ``{glue}`` by name over the whole page, so a name
    glued twice is ambiguous and the book's ``-W`` build fails on it; finding it when the page
    runs fails the page's own run instead, naming the cells, minutes before the site build."""
    cells: dict[str, list[int]] = {}
    for i, cell in enumerate(nb.cells):
        names = {o.get("metadata", {}).get("scrapbook", {}).get("name") for o in cell.get("outputs", [])}
        for name in names - {None}:
            cells.setdefault(name, []).append(i)
    return {name: found for name, found in cells.items() if len(found) > 1}


#: Cells the site leaves out: the notebook's defaults and papermill's injected values (the
#: page's banner states the profile and seed once, in prose).
HIDDEN_CELL_TAGS = ("parameters", "injected-parameters")


def _finish_executed(path: Path) -> None:
    """Check the executed notebook at ``path`` (:func:`glued_twice`: a duplicate raises
    ``ValueError``) and tag its parameter cells ``remove-cell`` for the site; read once."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    twice = glued_twice(nb)
    if twice:
        raise ValueError(
            f"{path.name}: each glue name may be glued by one cell (the site build, -W, refuses a "
            "duplicate); glued by more than one: "
            + "; ".join(f"{name!r} by cells {', '.join(map(str, cells))}" for name, cells in twice.items())
        )
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if any(t in tags for t in HIDDEN_CELL_TAGS) and "remove-cell" not in tags:
            tags.append("remove-cell")
    atomic_write_text(path, nbformat.writes(nb))


def _smoke(
    papermill, root: Path, name: str, notebook, profile: str, seed: int, steps: int, timeout: int | None
):
    target = root / "_build" / "smoke" / profile / f"{name}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get(SMOKE_ENV)
    os.environ[SMOKE_ENV] = str(steps)  # the kernel inherits it
    try:
        t0 = time.perf_counter()
        _papermill(papermill, notebook, target, root, profile, seed, timeout, None)
        return Execution(name, time.perf_counter() - t0)
    finally:
        if saved is None:
            os.environ.pop(SMOKE_ENV, None)
        else:
            os.environ[SMOKE_ENV] = saved


def main(argv: list[str] | None = None) -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="python -m attnlab.book.execute", description=__doc__, formatter_class=fmt
    )
    parser.add_argument(
        "notebooks", nargs="*", help="notebook names or .py/.ipynb paths (default: every one in _toc.yml)"
    )
    parser.add_argument("--profile", default="quick", choices=PROFILES, help="sizes to run (default: quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed >= 0; 0 is the site's (default: 0)")
    parser.add_argument("--force", action="store_true", help="re-run notebooks that are current")
    parser.add_argument("--quiet", action="store_true", help="no live progress, one line per notebook")
    parser.add_argument(
        "--smoke",
        type=int,
        metavar="K",
        help="smoke run: full-size models, K training steps, claims not checked",
    )
    args = parser.parse_args(argv)
    root = project_root()
    try:
        check_int("seed", args.seed, low=0)
        names = [notebook_name(n, root) for n in args.notebooks] or toc_notebooks(root)
    except ValueError as err:
        parser.error(str(err))
    runs: list[Execution] = []
    total = time.perf_counter()
    for name in names:
        last = last_seconds(name, args.profile, args.seed, root)
        hint = f"; last run {last:.0f} s" if last else ""
        print(f"executing {name} (profile {args.profile}, seed {args.seed}{hint}) ...", flush=True)
        try:
            run = execute(name, args.profile, args.seed, root=root, force=args.force, progress=not args.quiet)
        except Exception as err:  # report which notebook failed, then fail
            print(f"FAILED {name}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
            failed = executed_path(root, name, args.profile, args.seed)
            print(f"  the executed notebook with the traceback: {failed}")
            return 1
        runs.append(run)
        print(f"  {'current, skipped' if run.skipped else f'{run.seconds:.1f} s'}", flush=True)
    print(f"\n{'notebook':<36} {'seconds':>9}")
    for run in runs:
        print(f"{run.notebook:<36} {'skipped' if run.skipped else f'{run.seconds:9.1f}':>9}")
    print(f"{'total (wall)':<36} {time.perf_counter() - total:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
