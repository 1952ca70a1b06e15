"""attnlab: executable accounts of what one attention layer can and cannot express.

The tree is the book's architecture, in layers that import downwards only::

    book/             the book on top: profiles, pages and claims, execution, the ledger
    rank/             rank versus heads (Amsel, Yehudai, Bruna 2024)
    composition/      one layer cannot compose (Kozachinskiy 2024; Peng et al.; Sanford et al.)
                      and the attention that can (Strassen attention, Kozachinskiy et al. 2025)
    runtime/          what both chapters' training runs on: seed streams, devices, progress
                      bars, the results cache, sweeps (in process or on Ray), work and FLOPs
    attention.py      attend, hardmax, LowRankAttention: the layer both results are about

Each subpackage's docstring lists its modules. ``attnlab.Page``, ``attnlab.sizes`` and the
other book names are loaded on first use, so importing the science never loads the book.
"""

from importlib import import_module as _import_module
from importlib import metadata as _metadata

from attnlab.attention import LowRankAttention, attend, hardmax, normalize
from attnlab.runtime.device import default_device

__version__ = _metadata.version("attnlab")  # one version: pyproject.toml

_BOOK = {
    "ClaimError": "attnlab.book.page",
    "Page": "attnlab.book.page",
    "PROFILES": "attnlab.book.profiles",
    "sizes": "attnlab.book.profiles",
}

__all__ = [
    "PROFILES",
    "ClaimError",
    "LowRankAttention",
    "Page",
    "attend",
    "default_device",
    "hardmax",
    "normalize",
    "sizes",
]


def __getattr__(name: str):
    """The book's names (``Page``, ``sizes``, ...), imported when first asked for."""
    if name in _BOOK:
        return getattr(_import_module(_BOOK[name]), name)
    raise AttributeError(f"module 'attnlab' has no attribute {name!r}")
