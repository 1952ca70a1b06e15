"""The book's pages, as the table of contents lists them, and the one page that shows the ledger."""

from __future__ import annotations

import re
from pathlib import Path

from attnlab.book.page import project_root

__all__ = ["EXECUTED", "LEDGER", "toc_notebooks"]

EXECUTED = "executed"
"""The folder of executed notebooks that the site renders (``executed/NAME.ipynb``)."""

LEDGER = "95_claims"
"""The book page that shows the ledger (it makes no claims of its own)."""


def toc_notebooks(root: Path | None = None) -> list[str]:
    """Names of the notebooks the table of contents lists (``executed/NAME`` entries), in order."""
    root = root or project_root()
    text = (root / "_toc.yml").read_text()
    return re.findall(rf"file:\s*{EXECUTED}/([\w\-]+)", text)
