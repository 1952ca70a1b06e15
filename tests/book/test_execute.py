"""attnlab.book.execute: the .py is the source, names and paths are accepted, results never go stale."""

import shutil

import pytest

from attnlab.book.execute import execute, main, notebook_name, toc_notebooks
from attnlab.book.page import results_path
from tests.conftest import ROOT

TINY = """# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import attnlab

page = attnlab.Page("95_claims", profile=profile, seed=seed)
page.record("marker", MARKER)

# %%
page.finish()
"""


@pytest.fixture()
def book(tmp_path, monkeypatch):
    """A one-page book in tmp_path whose page is the .py source above."""
    shutil.copy(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setenv("ATTNLAB_RESULTS", str(tmp_path / "results"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(book, marker):
    (book / "notebooks" / "95_claims.py").write_text(TINY.replace("MARKER", repr(marker)))


def test_names_and_paths_are_accepted_and_unknown_names_are_listed():
    assert notebook_name("00_attention", ROOT) == "00_attention"
    assert notebook_name("notebooks/00_attention.py", ROOT) == "00_attention"
    assert notebook_name(ROOT / "notebooks" / "00_attention.ipynb", ROOT) == "00_attention"
    with pytest.raises(ValueError, match="^notebook must be one of 00_attention, .*got 'nope'"):
        notebook_name("nope", ROOT)


def test_cli_checks_every_name_before_running_any(capsys):
    with pytest.raises(SystemExit):
        main(["00_attention", "nope"])
    err = capsys.readouterr().err
    assert "got 'nope'" in err
    with pytest.raises(SystemExit):
        main(["--profile", "huge"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err


@pytest.mark.notebook
def test_an_edited_py_is_re_executed_and_seeds_are_kept_apart(book):
    import json

    _write(book, "first")
    assert not execute("95_claims", "quick", 0, root=book).skipped
    assert execute("95_claims", "quick", 0, root=book).skipped  # unchanged: current
    import attnlab.book.execute as execute_module

    with pytest.MonkeyPatch.context() as mp:  # a new library version: stale, re-executed
        mp.setattr(execute_module, "library_versions", lambda: '{"torch": "99.0"}')
        assert not execute("95_claims", "quick", 0, root=book).skipped
    assert not execute("95_claims", "quick", 0, root=book).skipped  # back to the real versions
    _write(book, "second")  # edit the .py only: no .ipynb exists at all
    assert not execute("95_claims", "quick", 0, root=book).skipped
    assert not execute("95_claims", "quick", 3, root=book).skipped
    seed0 = json.loads(results_path("95_claims", "quick", 0, book / "results").read_text())
    seed3 = json.loads(results_path("95_claims", "quick", 3, book / "results").read_text())
    assert seed0["numbers"]["marker"] == "second" and seed0["seed"] == 0 and seed3["seed"] == 3
    assert (book / "executed" / "95_claims.ipynb").exists()
    assert (book / "_build" / "verify" / "quick" / "seed-3" / "95_claims.ipynb").exists()
    assert "95_claims" in toc_notebooks(book)


def test_cells_time_out_in_quick_runs_only():
    from attnlab.book.execute import QUICK_CELL_TIMEOUT, cell_timeout

    assert cell_timeout("quick") == QUICK_CELL_TIMEOUT
    assert cell_timeout("paper") is None and cell_timeout("laptop") is None
    assert cell_timeout("quick", smoke=2) is None
    assert cell_timeout("paper", timeout=60) == 60
    with pytest.raises(ValueError, match="timeout"):
        cell_timeout("quick", timeout=0)


def _glue_output(name):
    import nbformat

    mime = "application/papermill.record/text/plain"
    meta = {"scrapbook": {"mime_prefix": "application/papermill.record/", "name": name}}
    return nbformat.v4.new_output("display_data", data={mime: "1"}, metadata=meta)


def test_a_name_glued_by_two_cells_is_found_with_its_cells():
    import nbformat

    from attnlab.book.execute import glued_twice

    nb = nbformat.v4.new_notebook()
    for outputs in (
        [_glue_output("a"), _glue_output("a"), _glue_output("b")],
        [],
        [_glue_output("a")],
        [_glue_output("c")],
    ):
        cell = nbformat.v4.new_code_cell("")
        cell.outputs = outputs
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_markdown_cell("{glue:text}`a`"))
    assert glued_twice(nb) == {"a": [0, 2]}  # re-gluing within one cell is a re-run, not a clash
    nb.cells[2].outputs = []
    assert glued_twice(nb) == {}


@pytest.mark.notebook
def test_a_page_that_glues_a_name_twice_fails_naming_it(book):
    source = TINY.replace("MARKER", "1").replace("page.finish()", 'page.record("marker", 2)\npage.finish()')
    (book / "notebooks" / "95_claims.py").write_text(source)
    with pytest.raises(ValueError, match=r"'marker' by cells \d+, \d+"):
        execute("95_claims", "quick", 0, root=book)
    with pytest.raises(ValueError, match="'marker'"):  # not stamped as current: it runs again
        execute("95_claims", "quick", 0, root=book)
