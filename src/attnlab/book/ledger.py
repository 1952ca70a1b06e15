"""The claims ledger: every claim of every page, with its value, bound and margin per seed.

Each executed page writes ``<results>/<profile>/seed-<seed>/<notebook>.json``
(:meth:`attnlab.Page.finish`). The ledger reads those files for one profile and lines the
claims up across seeds, so a reader sees what the book asserts and how safely: a claim
whose worst margin over the seeds is under :data:`TIGHT` holds by luck more than by design.

Usage::

    python -m attnlab.book.ledger --profile quick --seeds 0 1 2   # table; exit 1 if a claim fails or is tight
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnlab._checks import check_choice, check_int
from attnlab.book.page import format_margin, results_dir, table_cell
from attnlab.book.profiles import PROFILES
from attnlab.book.toc import LEDGER, toc_notebooks
from attnlab.runtime.cache import source_hash

TIGHT = 0.10
"""A claim whose smallest margin across the seeds checked is below this is too tight."""


@dataclass
class LedgerRow:
    """One claim of one page, across the seeds it was checked with."""

    notebook: str
    index: int
    statement: str
    op: str
    bound: Any
    values: dict[int, Any] = field(default_factory=dict)  # seed -> measured value
    margins: dict[int, float | None] = field(default_factory=dict)  # seed -> margin (None: exact)
    holds: dict[int, bool] = field(default_factory=dict)  # seed -> held?

    @property
    def worst_margin(self) -> float | None:
        """The smallest margin over the seeds; ``None`` when the claim is exact on every seed."""
        known = [m for m in self.margins.values() if m is not None]
        return min(known) if known else None

    def status(self, seeds: list[int] | None = None) -> str:
        """``fails``, ``missing`` (a seed without this claim), ``tight`` or ``holds``."""
        seeds = sorted(self.values) if seeds is None else seeds
        if any(not self.holds.get(s, True) for s in seeds):
            return "fails"
        if any(s not in self.values for s in seeds):
            return "missing"
        worst = self.worst_margin
        if worst is not None and worst < TIGHT:
            return "tight"
        return "holds"


def load_results(profile: str, root: Path | None = None) -> dict[int, dict[str, dict[str, Any]]]:
    """``{seed: {notebook: results}}`` for every results file of ``profile`` under ``root``."""
    check_choice("profile", profile, PROFILES)
    base = (root or results_dir()) / profile
    found: dict[int, dict[str, dict[str, Any]]] = {}
    for folder in sorted(base.glob("seed-*")):
        try:
            seed = int(folder.name.removeprefix("seed-"))
        except ValueError:
            continue
        for file in sorted(folder.glob("*.json")):
            data = json.loads(file.read_text())
            found.setdefault(seed, {})[data.get("notebook", file.stem)] = data
    return found


def stale_results(
    results: dict[int, dict[str, dict[str, Any]]], current: str | None = None
) -> dict[int, list[str]]:
    """``{seed: [notebook, ...]}``: results computed by package sources other than ``current``
    (default: the installed package's :func:`~attnlab.runtime.cache.source_hash`).

    Such results belong to another version of the code: a ledger that mixed them with fresh
    ones would report margins that no run of today's code produced.
    """
    current = current or source_hash()
    out: dict[int, list[str]] = {}
    for seed, pages in results.items():
        old = [n for n, d in pages.items() if d.get("provenance", {}).get("package_source_hash") != current]
        if old:
            out[seed] = sorted(old)
    return out


def without(
    results: dict[int, dict[str, dict[str, Any]]], stale: dict[int, list[str]]
) -> dict[int, dict[str, dict[str, Any]]]:
    """``results`` less the ``stale`` ones (:func:`stale_results`)."""
    return {s: {n: d for n, d in pages.items() if n not in stale.get(s, [])} for s, pages in results.items()}


def weakest(rows: list[LedgerRow], k: int = 5) -> list[LedgerRow]:
    """The ``k`` claims with the smallest worst margin (exact claims have none and are left out)."""
    return sorted((r for r in rows if r.worst_margin is not None), key=lambda r: r.worst_margin)[:k]


def ledger_rows(
    results: dict[int, dict[str, dict[str, Any]]], notebooks: list[str] | None = None
) -> list[LedgerRow]:
    """Line up the claims of ``results`` (from :func:`load_results`) by page and position.

    A claim is identified by its page, its position on the page and its statement; pages come
    in the order of ``notebooks`` (default: sorted), claims in page order.
    """
    rows: dict[tuple[str, int, str], LedgerRow] = {}
    for seed in sorted(results):
        for notebook, data in results[seed].items():
            for i, c in enumerate(data.get("claims", [])):
                if "op" not in c:  # results written before claims carried value and bound
                    continue
                key = (notebook, i, c["statement"])
                row = rows.setdefault(key, LedgerRow(notebook, i, c["statement"], c["op"], c["bound"]))
                row.values[seed] = c["value"]
                row.margins[seed] = c["margin"]
                row.holds[seed] = c["holds"]
    order = {n: k for k, n in enumerate(notebooks or sorted({k[0] for k in rows}))}
    return sorted(rows.values(), key=lambda r: (order.get(r.notebook, len(order)), r.notebook, r.index))


def smallest_margins(rows: list[LedgerRow]) -> dict[str, float | None]:
    """Per page, the smallest margin of any of its claims over every seed (``None``: all exact)."""
    out: dict[str, float | None] = {}
    for row in rows:
        worst = row.worst_margin
        prev = out.get(row.notebook)
        out[row.notebook] = worst if prev is None else (prev if worst is None else min(prev, worst))
    return out


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def ledger_markdown(rows: list[LedgerRow], seeds: list[int]) -> str:
    """The ledger as a Markdown table: one row per claim, value and margin per seed."""
    head = "| page | claim | bound | " + " | ".join(f"seed {s}: value (margin)" for s in seeds)
    head += " | worst margin | status |\n|---|---|---|" + "---|" * len(seeds) + "---|---|\n"
    lines = []
    for r in rows:
        cells = [
            f"{_fmt(r.values[s])} ({format_margin(r.margins[s])})" if s in r.values else "—" for s in seeds
        ]
        lines.append(
            f"| {r.notebook} | {table_cell(r.statement)} | {r.op} {_fmt(r.bound)} | "
            + " | ".join(cells)
            + f" | {format_margin(r.worst_margin)} | {r.status(seeds)} |"
        )
    return head + "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="quick", choices=PROFILES)
    parser.add_argument(
        "--seeds", type=int, nargs="*", help="seeds that must be present (default: those found)"
    )
    parser.add_argument(
        "--min-margin", type=float, default=TIGHT, help="fail when a worst margin is below this"
    )
    args = parser.parse_args(argv)
    for s in args.seeds or []:
        check_int("seeds", s, low=0)
    results = load_results(args.profile)
    seeds = args.seeds if args.seeds else sorted(results)
    if not seeds or any(s not in results for s in seeds):
        missing = [s for s in seeds if s not in results] or "any"
        print(f"no results for profile {args.profile!r}, seeds {missing}: run make verify first")
        return 1
    toc = toc_notebooks()
    stale = stale_results({s: results[s] for s in seeds})
    rows = ledger_rows(without({s: results[s] for s in seeds}, stale), toc)
    bad = [
        f"{name}: results of seed {s} come from other package sources (stale): re-run make verify"
        for s, names in stale.items()
        for name in names
    ]
    for name in toc:
        for s in seeds:
            if name != LEDGER and name not in results[s] and name not in stale.get(s, []):
                bad.append(f"{name}: no results for seed {s}")
    print(f"{'page':<36} {'claims':>6} {'smallest margin':>16}")
    for name, m in smallest_margins(rows).items():
        print(f"{name:<36} {sum(r.notebook == name for r in rows):>6} {format_margin(m):>16}")
    for r in rows:
        status = r.status(seeds)
        worst = r.worst_margin
        if status in ("fails", "missing") or (worst is not None and worst < args.min_margin):
            bad.append(f"{r.notebook}: {status} (worst margin {format_margin(worst)}): {r.statement}")
    n_pages = len({r.notebook for r in rows})
    print(f"\n{len(rows)} claims on {n_pages} pages, profile {args.profile}, seeds {seeds}")
    for line in bad:
        print("PROBLEM", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
