"""Book-page bookkeeping: profile banner, claims, glued numbers, results JSON, run time.

Every notebook opens with::

    page = attnlab.Page("00_attention", profile=profile, seed=seed)
    cfg = page.cfg                      # the sizes for this profile

quotes the profile's sizes as ``{glue:text}`cfg_d``` (every size ``cfg.NAME`` is glued as
``cfg_NAME`` when the page starts, kept in the results under ``sizes`` and listed on the run
card: one place records them), records the numbers its prose quotes with
``page.record("name", value)`` (they are glued for myst-nb, so text and figures agree),
states each result with ``page.claim("statement", value, ">=", bound)`` (a measured value
against a bound, so the claim's margin is known; a false claim raises :class:`ClaimError`,
which fails the notebook and therefore the test suite), and ends with ``page.finish()``,
which writes ``<results>/<profile>/seed-<seed>/<notebook>.json`` and shows the run card
(profile, seed, run time, claims with their margins).

In JupyterLab, where glue is not filled in (the book's build does that), the banner under the
page's first cell also lists every glued name with this run's value (:func:`in_jupyterlab`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from attnlab._checks import check_choice, check_int
from attnlab.book import profiles
from attnlab.runtime import sweep
from attnlab.runtime.cache import atomic_write_text


class ClaimError(AssertionError):
    """A page's claim did not hold for the numbers the page computed."""


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``_toc.yml``.

    Without ``start``: searched from the current directory, then from this package's own
    location (an editable install in the book's checkout), so commands work from anywhere;
    else the current directory.
    """
    starts = [start] if start else [Path.cwd(), Path(__file__).parent]
    for here in starts:
        here = here.resolve()
        for folder in (here, *here.parents):
            if (folder / "_toc.yml").exists():
                return folder
    return (start or Path.cwd()).resolve()


def results_dir() -> Path:
    """Root of the pages' results: ``$ATTNLAB_RESULTS`` or ``<root>/_build/results``."""
    env = os.environ.get("ATTNLAB_RESULTS")
    return Path(env) if env else project_root() / "_build" / "results"


def results_path(notebook: str, profile: str, seed: int, root: Path | None = None) -> Path:
    """``<results>/<profile>/seed-<seed>/<notebook>.json``: runs of other profiles and seeds never collide."""
    return (root or results_dir()) / profile / f"seed-{seed}" / f"{notebook}.json"


def _plain(value: Any) -> Any:
    """Convert tensors / numpy values to JSON-friendly Python values."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _glue(name: str, value: Any) -> None:
    try:
        from myst_nb import glue
    except ImportError:  # outside the book toolchain: nothing to glue into
        return
    glue(name, value, display=False)


def _display(obj: Any) -> None:
    try:
        from IPython.display import display
    except ImportError:
        print(obj)
        return
    display(obj)


def _display_handle(obj: Any) -> Any:
    """Show ``obj`` and return a handle whose ``update(new)`` replaces it in place (``None``
    outside IPython)."""
    try:
        from IPython.display import display
    except ImportError:
        print(obj)
        return None
    return display(obj, display_id=True)


def in_jupyterlab() -> bool:
    """Whether a reader runs the page in JupyterLab (or any Jupyter server front end).

    The server names the notebook in the kernel's ``JPY_SESSION_NAME``; papermill, which
    executes the book, does not. There the prose's ``{glue:text}`` roles stay unfilled: glue is
    resolved when the book is built.
    """
    return bool(os.environ.get("JPY_SESSION_NAME"))


def _quoted(numbers: dict[str, Any]) -> str:
    """``name = value`` for each glued number, as the prose names them."""
    return ", ".join(f"`{k}` = {_fmt(v) if isinstance(v, float) else _short(v)}" for k, v in numbers.items())


def _markdown(text: str) -> Any:
    try:
        from IPython.display import Markdown
    except ImportError:
        return text
    return Markdown(text)


def size_name(name: str) -> str:
    """The glue name of the profile's size ``name``: ``cfg_<name>`` (``{glue:text}`cfg_d```)."""
    return f"cfg_{name}"


THREADS_ENV = "ATTNLAB_THREADS"


def threads_override() -> int | None:
    """``$ATTNLAB_THREADS`` as a positive integer (torch's CPU threads for every page), or ``None``."""
    raw = os.environ.get(THREADS_ENV)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer (CPU threads), got {raw!r}")
    return int(raw)


class Page:
    """One executed notebook: its profile, seed, sizes, recorded numbers and claims.

    Args:
        notebook: the notebook's name (its file stem, e.g. ``"00_attention"``).
        profile: one of :data:`attnlab.book.profiles.PROFILES`.
        seed: non-negative integer; seeds torch's global generator.
        **params: any further notebook parameters, validated by the caller and recorded.
    """

    def __init__(self, notebook: str, profile: str, seed: int, **params: Any) -> None:
        self.profile = check_choice("profile", profile, profiles.PROFILES)
        self.seed = check_int("seed", seed, low=0)
        self.cfg = profiles.sizes(notebook, profile)
        self.smoke = profiles.smoke_steps()  # a smoke run: claims recorded, not checked
        self.notebook = notebook
        self.params = dict(params)
        self.numbers: dict[str, Any] = {}
        self.claims: list[dict[str, Any]] = []
        self.results_file: Path | None = None  # written by finish()
        self.started = _dt.datetime.now(_dt.UTC)
        self._t0 = time.perf_counter()
        self._sweep_start = sweep.tally()
        torch.manual_seed(self.seed)
        _glue("profile", self.profile)
        _glue("seed", self.seed)
        for name, value in profiles.as_dict(self.cfg).items():  # the profile's sizes, for the prose
            _glue(size_name(name), _plain(value))
        self._banner_text = (
            f"**Profile `{self.profile}`** ({profiles.DESCRIPTIONS[self.profile]}) · seed {self.seed} · "
            f"torch {torch.__version__} on {platform.machine()} · run time at the end of the page."
            + (
                f"\n\n**Smoke run**: every training run cut to {self.smoke} steps, training batches "
                f"capped at {profiles.SMOKE_BATCH} sequences and evaluation sizes at "
                f"{profiles.SMOKE_SAMPLES} (a CPU's memory and time); claims are recorded, not checked."
                if self.smoke
                else ""
            )
        )
        self._lab = in_jupyterlab()
        banner = _markdown(self._banner_text + self._lab_note())
        self._banner = _display_handle(banner) if self._lab else _display(banner)

    def _lab_note(self, finished: bool = False) -> str:
        """In JupyterLab, what the prose's unfilled numbers are: its ``{glue:text}`` roles show
        their names there (the built book shows the values), so the banner lists each name with
        its value, the sizes at once and the page's recorded numbers when it finishes."""
        if not self._lab:
            return ""
        sizes = {size_name(k): _plain(v) for k, v in profiles.as_dict(self.cfg).items()}
        text = (
            "\n\n**In JupyterLab** the prose names the numbers it quotes from this run (such as "
            "`cfg_d`, or `name:.2f` for a format); the built book fills them in. Here they are: "
            + _quoted({"profile": self.profile, "seed": self.seed, **sizes})
        )
        if finished:
            return text + "; computed: " + (_quoted(self.numbers) or "none") + "."
        return text + "; the numbers it computes are listed here when the page finishes."

    def device(self) -> torch.device:
        """The device the page computes on (:func:`attnlab.runtime.device.default_device`).

        On CPU, torch uses ``$ATTNLAB_THREADS`` threads when it is set (the tests run two pages
        at once, one thread each), else the profile's ``threads`` when the page's sizes set one,
        else torch's default.
        """
        from attnlab.runtime.device import default_device

        device = default_device()
        threads = threads_override() or getattr(self.cfg, "threads", None)
        if threads and device.type == "cpu":
            torch.set_num_threads(threads)
        return device

    def record(self, name: str, value: Any, label: str | None = None) -> Any:
        """Keep ``value`` in the results and glue it under ``name`` for the prose; returns it.

        Numbers are glued as numbers (the prose may format them, ``{glue:text}`name:.3f```);
        dicts and lists are glued as text a reader can read (:func:`readable`), with ``label``
        naming a dict's keys: ``{4: 0.0387, 6: 0.0583}`` with ``label="d"`` reads
        "d = 4: 0.0387, d = 6: 0.0583". The results JSON keeps the value itself.
        """
        self.numbers[name] = _plain(value)
        plain = self.numbers[name]
        _glue(name, readable(plain, label) if isinstance(plain, (dict, list)) else plain)
        return value

    def figure(self, name: str, fig: Any) -> None:
        """Show the matplotlib figure ``fig`` and glue it under ``name``.

        Glued figures can be embedded on other pages (the home page shows each chapter's
        key figures) with myst-nb's ``{glue}`` directive and its ``:doc:`` option.
        """
        import matplotlib.pyplot as plt

        try:
            from myst_nb import glue
        except ImportError:
            _display(fig)
        else:
            glue(name, fig, display=True)
        plt.close(fig)

    def work(self, work: Any, seconds_per_flop: float | None = None, device: Any = None) -> None:
        """Show, before training, the profile's total work and its estimated time.

        ``work`` is the page's :class:`attnlab.runtime.work.Work` (from its module's
        ``planned_work``); ``seconds_per_flop`` is measured from the page's first steps
        (:func:`attnlab.runtime.work.seconds_per_flop`). Recorded as ``work_runs``,
        ``work_steps``, ``work_flops`` and ``work_estimate_s``.
        """
        from attnlab.runtime.work import format_flops, format_seconds

        self.record("work_runs", work.runs)
        self.record("work_steps", work.steps)
        self.record("work_flops", float(work.flops))
        text = (
            f"**Work at profile `{self.profile}`**: {work.runs} training runs, {work.steps:,} optimiser "
            f"steps (batched runs step together), {format_flops(work.flops)}"
        )
        if seconds_per_flop is not None:
            estimate = work.seconds(seconds_per_flop)
            self.record("work_estimate_s", estimate)
            where = f" on {device}" if device is not None else ""
            text += f"; estimated {format_seconds(estimate)}{where}, timed from the first steps"
        _display(_markdown(text + "."))

    def claim(self, statement: str, value: Any, op: str, bound: Any, **context: Any) -> dict[str, Any]:
        """Assert ``value op bound``, where ``value`` is measured or computed by the page.

        ``value`` and ``bound`` are real numbers (a 0-d tensor or numpy scalar is fine); ``op``
        is one of ``<``, ``<=``, ``>``, ``>=``, ``==``. A claim about a set ("for every d")
        passes its worst member as ``value`` and the whole set in ``context``. The claim's
        *margin*, how far the value is from failing relative to the bound, is recorded
        (:func:`claim_margin`), so a reader sees how safely each claim holds. A false claim
        raises :class:`ClaimError`; a bare boolean is refused with ``TypeError``.
        """
        entry = make_claim(statement, value, op, bound, context)
        self.claims.append(entry)
        if not entry["holds"] and not self.smoke:
            detail = ", ".join(f"{k}={_short(v)}" for k, v in entry["context"].items())
            raise ClaimError(
                f"claim failed: {statement} (value {_short(entry['value'])} {op} {_short(entry['bound'])} "
                f"does not hold{'; ' + detail if detail else ''})"
            )
        return entry

    @property
    def elapsed(self) -> float:
        """Seconds since the page started."""
        return time.perf_counter() - self._t0

    def finish(self) -> None:
        """Write the results JSON (:attr:`results_file`), glue the run time and show the run card.

        Returns nothing, so the page's last cell shows the run card and no value after it.
        """
        wall = self.elapsed
        self.record("runtime", f"{wall:.1f} s")
        result = {
            "notebook": self.notebook,
            "profile": self.profile,
            "seed": self.seed,
            "smoke_steps": self.smoke,
            "params": _plain(self.params),
            "sizes": _plain(profiles.as_dict(self.cfg)),
            "started": self.started.isoformat(timespec="seconds"),
            "wall_time_s": round(wall, 3),
            "load_avg": [round(x, 2) for x in os.getloadavg()],  # 1, 5, 15 minutes, at the end
            "cpu_count": os.cpu_count(),  # what the load is out of
            "sweep": {k: v - self._sweep_start[k] for k, v in sweep.tally().items()},
            "versions": versions(),
            "provenance": provenance(),
            "numbers": self.numbers,
            "claims": self.claims,
        }
        profile_dir = f"{self.profile}-smoke" if self.smoke else self.profile  # never mixed with real runs
        path = results_path(self.notebook, profile_dir, self.seed)
        atomic_write_text(path, json.dumps(result, indent=2, sort_keys=False))
        self.results_file = path
        if self._banner is not None:  # JupyterLab: the banner now lists every computed number
            self._banner.update(_markdown(self._banner_text + self._lab_note(finished=True)))
        rows = "\n".join(
            f"| {i + 1} | {table_cell(c['statement'])} | {_fmt(c['value'])} {c['op']} {_fmt(c['bound'])} | "
            f"{format_margin(c['margin'])} | {'holds' if c['holds'] else 'FAILS'} |"
            for i, c in enumerate(self.claims)
        )
        _display(
            _markdown(
                f"**Run card.** Profile `{self.profile}`, seed {self.seed}, run time **{wall:.1f} s**, "
                f"{len(self.claims)} claims checked (margin: how far the value "
                f"is from failing, relative to the bound).\n\n"
                f"| # | claim | value vs bound | margin | status |\n"
                f"|---|---|---|---|---|\n{rows}"
                + (
                    f"\n\n**Sizes** (`{self.profile}` profile): {_sizes_line(result['sizes'])}."
                    if result["sizes"]
                    else ""
                )
            )
        )


def readable(value: Any, label: str | None = None) -> str:
    """``value`` as prose: numbers to 3 significant digits, lists as "8, 16 and 64", dicts as
    "4: 0.0387, 6: 0.0583" (with ``label="d"``: "d = 4: 0.0387, d = 6: 0.0583"), nested dicts
    as "L=1: (r=1: 9.1, r=4: 3.2); L=3: (...)", lists of pairs as "(4, 8) and (16, 32)"."""
    if isinstance(value, dict):
        key = (lambda k: f"{label} = {k}") if label else str
        if any(isinstance(v, dict) for v in value.values()):  # nested: "a: (x: 1, y: 2); b: (...)"
            return "; ".join(f"{key(k)}: ({readable(v)})" for k, v in value.items())
        return ", ".join(f"{key(k)}: {readable(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        items = [
            f"({', '.join(map(readable, v))})" if isinstance(v, (list, tuple)) else readable(v) for v in value
        ]
        if len(items) < 2:
            return "".join(items)
        return ", ".join(items[:-1]) + " and " + items[-1]
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def versions() -> dict[str, str]:
    """Versions of the pieces that decide the numbers: Python, the platform, attnlab and every
    package attnlab depends on (its extras included), as installed."""
    from importlib import metadata

    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    try:
        out["attnlab"] = metadata.version("attnlab")
        requirements = metadata.requires("attnlab") or []
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        requirements = []
    for req in requirements:
        name = re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0]
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # an extra that is not installed here
    out["torch"] = torch.__version__
    return out


def provenance(root: Path | None = None) -> dict[str, Any]:
    """Where the numbers came from: git commit and whether the tree was dirty, the package
    source hash, the device and the thread count."""
    import subprocess

    from attnlab.runtime.cache import source_hash
    from attnlab.runtime.device import default_device

    root = root or project_root()

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    device = default_device()
    return {
        "git_commit": commit,
        "git_dirty": None if status is None else bool(status),
        "package_source_hash": source_hash(),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(),
    }


OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
}


def _real(name: str, x: Any) -> float:
    if isinstance(x, bool) or isinstance(x, np.bool_):
        raise TypeError(
            f"claim {name} must be a measured number, not a boolean: pass the value and the bound it is "
            f"compared with, e.g. page.claim('error is small', err, '<', 1e-3)"
        )
    if isinstance(x, torch.Tensor):
        if x.numel() != 1 or x.dtype == torch.bool:
            raise TypeError(f"claim {name} must be one real number, got a tensor of shape {tuple(x.shape)}")
        x = x.item()
    if isinstance(x, np.ndarray):
        if x.size != 1 or x.dtype == np.bool_:
            raise TypeError(f"claim {name} must be one real number, got an array of shape {x.shape}")
        x = x.item()
    if isinstance(x, np.generic):
        x = x.item()
    if not isinstance(x, (int, float)):
        raise TypeError(f"claim {name} must be a real number, got {type(x).__name__}")
    return float(x) if isinstance(x, float) else x


def claim_margin(value: float, op: str, bound: float) -> float | None:
    """How far ``value`` is from failing ``value op bound``, relative to ``|bound|``.

    Positive when the claim holds, negative when it fails; 0.5 means the value could move
    by half the bound before the claim fails. ``None`` for exact claims (``==``) and for a
    zero bound, where no relative margin exists.
    """
    if op == "==" or bound == 0 or not math.isfinite(value) or not math.isfinite(bound):
        return None
    gap = value - bound if op in (">", ">=") else bound - value
    return gap / abs(bound)


def make_claim(statement: str, value: Any, op: str, bound: Any, context: dict[str, Any]) -> dict[str, Any]:
    """The ledger entry for one claim: statement, value, op, bound, margin, holds, context."""
    if not isinstance(statement, str) or not statement:
        raise TypeError("claim statement must be a non-empty string")
    if op not in OPS:
        raise ValueError(f"claim op must be one of {', '.join(repr(o) for o in OPS)}, got {op!r}")
    v, b = _real("value", value), _real("bound", bound)
    holds = bool(OPS[op](v, b)) and not (isinstance(v, float) and math.isnan(v))
    return {
        "statement": statement,
        "value": _plain(v),
        "op": op,
        "bound": _plain(b),
        "margin": claim_margin(v, op, b),
        "holds": holds,
        "context": _plain(context),
    }


def format_margin(margin: float | None) -> str:
    """A margin as a percentage, ``exact`` for claims without one."""
    return "exact" if margin is None else f"{100 * margin:.0f}%"


def table_cell(text: str) -> str:
    """``text`` safe inside a Markdown table cell: a ``|`` (as in ``|z|``) would end the cell."""
    return text.replace("|", "\\|")


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def _sizes_line(sizes: dict[str, Any]) -> str:
    """``d = 8, heads = 4, ...``: a profile's sizes on one line (long values shortened)."""
    return ", ".join(
        f"`{k}` = {_short(v) if not isinstance(v, float) else _fmt(v)}" for k, v in sizes.items()
    )


def _short(v: Any) -> str:
    text = repr(v)
    return text if len(text) < 120 else text[:117] + "..."
