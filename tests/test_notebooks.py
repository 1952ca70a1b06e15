"""Every notebook of the book, executed once with papermill in the quick profile.

A claim that no longer holds raises inside the notebook and fails its test here. The
executed copies land in executed/, where the book build renders them without re-running.
"""

import json
import os

import pytest

from attnlab.book.execute import execute, toc_notebooks
from attnlab.book.page import results_path
from attnlab.book.toc import LEDGER
from tests.conftest import ROOT

PROFILE = os.environ.get("PROFILE", "quick")


@pytest.mark.notebook
@pytest.mark.parametrize("name", toc_notebooks(ROOT))
def test_notebook_claims_hold(name, monkeypatch):
    monkeypatch.delenv("ATTNLAB_RESULTS", raising=False)
    run = execute(name, PROFILE, root=ROOT, force=True)
    results = json.loads(results_path(name, PROFILE, 0, ROOT / "_build" / "results").read_text())
    assert results["profile"] == PROFILE
    assert results["claims"] or name == LEDGER, "a page must check at least one claim"
    assert all(c["holds"] for c in results["claims"])
    print(f"{name}: {run.seconds:.1f} s, {len(results['claims'])} claims")


@pytest.mark.notebook
def test_bad_parameter_injected_by_papermill_is_named(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="profile must be one of"):
        papermill.execute_notebook(
            str(ROOT / "notebooks" / "00_attention.ipynb"),
            str(tmp_path / "bad.ipynb"),
            parameters={"profile": "huge"},
            cwd=str(ROOT / "notebooks"),
            kernel_name="python3",
            progress_bar=False,
        )
