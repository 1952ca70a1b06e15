"""Execute the book's notebooks headless with papermill, once each, into ``executed/``.

The book renders the executed copies as they are (Jupyter Book's own execution is off),
so a build runs every notebook exactly once. A notebook is skipped when its executed copy
is current: same notebook source, same package source, same profile and seed, and the
last run succeeded. ``--force`` re-runs regardless.

Seed 0 is the book's: its executed copies go to ``executed/``, which the site renders. Other
seeds (``make verify``) go to ``_build/verify/<profile>/seed-<seed>/`` and never replace them.
The claims ledger page (:data:`attnlab.ledger.LEDGER`) is re-run whenever any page's results
change.

Usage::

    python -m attnlab.execute --profile quick            # every notebook in _toc.yml
    python -m attnlab.execute --profile laptop 00_attention
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from attnlab._checks import check_choice, check_int
from attnlab.cache import atomic_write_text, source_hash
from attnlab.ledger import LEDGER
from attnlab.page import project_root, results_dir
from attnlab.profiles import PROFILES

EXECUTED = "executed"


@dataclass
class Execution:
    """What happened to one notebook: its name, wall time in seconds and whether it was skipped."""

    notebook: str
    seconds: float
    skipped: bool = False


def toc_notebooks(root: Path | None = None) -> list[str]:
    """Names of the notebooks the table of contents lists (``executed/NAME`` entries), in order."""
    root = root or project_root()
    text = (root / "_toc.yml").read_text()
    return re.findall(rf"file:\s*{EXECUTED}/([\w\-]+)", text)


def executed_path(root: Path, name: str, profile: str, seed: int) -> Path:
    """Where the executed copy goes: ``executed/`` for seed 0 (the site), else under ``_build/verify``."""
    if seed == 0:
        return root / EXECUTED / f"{name}.ipynb"
    return root / "_build" / "verify" / profile / f"seed-{seed}" / f"{name}.ipynb"


def _stamp(root: Path, name: str, profile: str, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update((root / "notebooks" / f"{name}.ipynb").read_bytes())
    digest.update(f"{source_hash()}|{profile}|{seed}".encode())
    if name == LEDGER:  # the ledger shows every page's results: it is stale when any of them changes
        base = results_dir() / profile
        for file in sorted(base.glob("seed-*/*.json")):
            if file.stem != LEDGER:
                digest.update(str(file.relative_to(base)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _stamp_path(root: Path, target: Path) -> Path:
    return root / "_build" / "stamps" / target.relative_to(root).with_suffix(".json")


def execute(
    name: str,
    profile: str = "quick",
    seed: int = 0,
    *,
    root: Path | None = None,
    force: bool = False,
    timeout: int = 1800,
) -> Execution:
    """Run ``notebooks/<name>.ipynb`` with ``profile``/``seed`` injected into ``executed/<name>.ipynb``.

    Raises papermill's ``PapermillExecutionError`` (after writing the failed notebook, so
    the traceback can be read) when a cell fails, e.g. a claim that does not hold.
    """
    import papermill  # the book toolchain; imported here so the package needs it only to execute

    root = root or project_root()
    check_choice("profile", profile, PROFILES)
    check_int("seed", seed, low=0)
    source = root / "notebooks" / f"{name}.ipynb"
    if not source.exists():
        raise ValueError(f"notebook must name a file in notebooks/; {source} does not exist")
    target = executed_path(root, name, profile, seed)
    stamp = _stamp(root, name, profile, seed)
    stamp_file = _stamp_path(root, target)
    if not force and target.exists() and stamp_file.exists():
        if json.loads(stamp_file.read_text()).get("stamp") == stamp:
            return Execution(name, 0.0, skipped=True)
    stamp_file.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    papermill.execute_notebook(
        str(source),
        str(target),
        parameters={"profile": profile, "seed": seed},
        cwd=str(source.parent),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=timeout,
    )
    seconds = time.perf_counter() - t0
    atomic_write_text(stamp_file, json.dumps({"stamp": stamp, "profile": profile, "seconds": seconds}))
    return Execution(name, seconds)


def main(argv: list[str] | None = None) -> int:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=fmt)
    parser.add_argument("notebooks", nargs="*", help="notebook names (default: every one in _toc.yml)")
    parser.add_argument("--profile", default="quick", help=f"one of {', '.join(PROFILES)}")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="re-run notebooks that are current")
    args = parser.parse_args(argv)
    try:
        check_choice("profile", args.profile, PROFILES)
        check_int("seed", args.seed, low=0)
    except ValueError as err:
        parser.error(str(err))
    root = project_root()
    names = args.notebooks or toc_notebooks(root)
    runs: list[Execution] = []
    total = time.perf_counter()
    for name in names:
        print(f"executing {name} (profile {args.profile}) ...", flush=True)
        try:
            run = execute(name, args.profile, args.seed, root=root, force=args.force)
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
