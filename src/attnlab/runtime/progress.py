"""Progress bars for long work: widgets in JupyterLab, text in a terminal or a headless run.

``attnlab.book.execute`` sets ``ATTNLAB_PROGRESS=text`` for the kernels it starts, so the bars of a
page being executed stream to the terminal that runs ``make book``; ``ATTNLAB_PROGRESS=off``
silences them.
"""

from __future__ import annotations

import os
from typing import Any

from attnlab._checks import check_choice

MODES = ("auto", "text", "off")


def progress(iterable: Any = None, **kwargs: Any) -> Any:
    """A tqdm bar over ``iterable`` in the mode of ``$ATTNLAB_PROGRESS`` (``auto``: widgets
    in a notebook, text elsewhere; ``text``; ``off``). Keyword arguments go to tqdm."""
    mode = check_choice("ATTNLAB_PROGRESS", os.environ.get("ATTNLAB_PROGRESS", "auto"), MODES)
    if mode == "off":
        kwargs["disable"] = True
    if mode == "auto":
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(iterable, **kwargs)
