"""JupyterLab for the book (``make lab``): notebooks are written to disk without outputs.

The book's sources are ``notebooks/NN_topic.py``, paired by jupytext with a committed
``NN_topic.ipynb`` that holds no outputs. Two pieces keep outputs out of git, whatever a
reader does:

* the ``nbstripout`` git filter (``.gitattributes``; ``make setup`` writes its command into the
  clone's git config): whatever a notebook file holds, git commits it stripped, the Jupyter
  ecosystem's convention; and
* :class:`StrippedNotebookManager`, the contents manager ``make lab`` runs with (jupytext's
  pairing builds on it): when JupyterLab saves, the ``.ipynb`` twin is written already stripped,
  with the same nbstripout options as the filter, so the working tree stays as committed and
  ``git status`` stays clean. Outputs live in the open notebook until it is closed; the book's
  executed copies (``executed/``) keep theirs.
"""

from __future__ import annotations

import copy
from typing import Any

import nbformat
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager

# nbstripout's default keys, plus the kernel's language_info that JupyterLab adds on save (the
# filter gets the same extra key from `git config filter.nbstripout.extrakeys`, set by make setup).
EXTRA_KEYS = [
    "metadata.signature",
    "metadata.widgets",
    "metadata.language_info",
    "cell.metadata.collapsed",
    "cell.metadata.ExecuteTime",
    "cell.metadata.execution",
    "cell.metadata.heading_collapsed",
    "cell.metadata.hidden",
    "cell.metadata.scrolled",
]


def strip_notebook(content: dict[str, Any]) -> nbformat.NotebookNode:
    """``content`` (a notebook as JSON) as the nbstripout filter commits it: no outputs, no
    execution counts, none of :data:`EXTRA_KEYS`; cell ids kept (jupytext pairs cells by them)."""
    from nbstripout import strip_output

    nb = nbformat.from_dict(copy.deepcopy(content))
    return strip_output(nb, keep_output=None, keep_count=False, keep_id=True, extra_keys=EXTRA_KEYS)


class StrippedNotebookManager(AsyncLargeFileManager):
    """Jupyter's file contents manager, writing every ``.ipynb`` without outputs.

    ``make lab`` passes it as ``ServerApp.contents_manager_class``; jupytext's server extension
    derives its pairing manager from it, so JupyterLab's save writes the ``.py`` source and an
    ``.ipynb`` twin that is byte for byte what git would commit.
    """

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        if model.get("type") == "notebook" and model.get("content") is not None and path.endswith(".ipynb"):
            model = {**model, "content": strip_notebook(model["content"])}
        return await super().save(model, path)
