"""The project's set-up stays consistent: pins, paired notebooks, table of contents."""

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import jupytext
import nbformat
import pytest

from attnlab.book.profiles import SIZES
from attnlab.book.toc import toc_notebooks
from tests.conftest import ROOT

NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.py"))


def _pyproject_requirements() -> list[str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(meta["dependencies"])
    for extra in meta["optional-dependencies"].values():
        reqs += extra
    return reqs


def _name(req: str) -> str:
    return re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0].lower()


def _constraints() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[^\s]+", p) for p in pins), pins
    return {p.split("==")[0].lower(): p for p in pins}


def test_environment_yml_mirrors_constraints():
    text = (ROOT / "environment.yml").read_text()
    pip_pins = set(re.findall(r"^\s+- ([A-Za-z0-9_.\-]+==[^\s]+)\s*$", text, flags=re.M))
    assert pip_pins == set(_constraints().values())
    assert re.search(r"^\s+- python=3\.11\s*$", text, flags=re.M)
    assert re.search(r"^\s+- -e \.\s*$", text, flags=re.M)


def test_pyproject_states_ranges_and_constraints_pin_each_exactly():
    pins = _constraints()
    for req in _pyproject_requirements():
        assert "==" not in req, f"{req}: pyproject.toml states ranges; exact pins go in constraints.txt"
        assert _name(req) in pins, f"{req} has no exact pin in constraints.txt"
    assert pins["torch"] == "torch==2.13.0"  # the CPU build; any other pulls CUDA
    assert pins["jupyter-book"] == "jupyter-book==1.0.4.post1"
    makefile = (ROOT / "Makefile").read_text()
    assert "-c constraints.txt" in makefile, "make must install with the exact pins"


def test_toc_lists_every_notebook_once():
    listed = toc_notebooks(ROOT)
    assert sorted(listed) == NOTEBOOKS
    assert len(set(listed)) == len(listed)


def _git(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, encoding="utf-8", **kwargs)


def committed_text(path: Path) -> str:
    """``path`` as git would commit it: passed through the clean filter that ``.gitattributes``
    names for it (in a git checkout; elsewhere, an unpacked archive, the file as it is).

    A notebook saved outside ``make lab`` keeps its outputs in the working tree; the
    ``nbstripout`` filter takes them out on their way into git, so this is what a commit would
    hold. Where git finds the file unchanged (the filter runs only on files whose stat changed),
    that is the index's copy, so a fresh clone runs no filter here.
    """
    rel = path.relative_to(ROOT).as_posix()
    if _git("rev-parse", "--is-inside-work-tree").returncode != 0:
        return path.read_text()
    attr = _git("check-attr", "filter", "--", rel).stdout.strip().rsplit(": ", 1)[-1]
    if attr in ("unspecified", "unset", ""):
        return path.read_text()
    clean = _git("config", "--get", f"filter.{attr}.clean").stdout.strip()
    if not clean:
        pytest.fail(f"git filter {attr!r} (.gitattributes) is not installed in this clone: run `make setup`")
    if _git("ls-files", "--error-unmatch", "--", rel).returncode == 0:
        if _git("diff", "--quiet", "--", rel).returncode == 0:
            return _git("show", f":{rel}").stdout
    with path.open("rb") as stdin:  # as git runs it: a shell command at the top of the working tree
        done = subprocess.run(
            clean.replace("%f", shlex.quote(rel)), shell=True, cwd=ROOT, stdin=stdin, capture_output=True
        )
    assert done.returncode == 0, f"git filter {attr!r} failed on {rel}: {done.stderr.decode()[-500:]}"
    return done.stdout.decode()


def test_gitattributes_strip_notebook_outputs():
    text = (ROOT / ".gitattributes").read_text()
    assert re.search(r"^notebooks/\*\.ipynb filter=nbstripout$", text, flags=re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert "git config filter.nbstripout.clean" in makefile, "make setup must install the filter"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_pair_in_sync_and_clean(name):
    """The pair as git would commit it: in step with the source, and without outputs."""
    py = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    ipynb = nbformat.reads(committed_text(ROOT / "notebooks" / f"{name}.ipynb"), as_version=4)
    cells = lambda nb: [(c.cell_type, c.source.strip()) for c in nb.cells]
    assert cells(py) == cells(ipynb), f"run: jupytext --sync notebooks/{name}.py"
    for cell in ipynb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                "git would commit outputs: `make setup` installs the filter that strips them"
            )
    params = [c for c in ipynb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    assert re.search(r'^profile = "quick"$', params[0].source, flags=re.M)
    assert re.search(r"^seed = 0$", params[0].source, flags=re.M)
    assert f'attnlab.Page("{name}"' in "".join(c.source for c in ipynb.cells)
    assert name in SIZES, "the notebook's sizes belong in attnlab.book.profiles.SIZES"
    assert ipynb.cells[-1].source.strip().endswith("page.finish()")
