"""attnlab: executable accounts of what one attention layer can and cannot express.

The tree is the book's architecture::

    attention.py      attend, hardmax, LowRankAttention: the layer both results are about
    rank/             rank versus heads (Amsel, Yehudai, Bruna 2024)
    composition/      one layer cannot compose (Kozachinskiy 2024; Peng et al.; Sanford et al.)
                      and the attention that can (Strassen attention, Kozachinskiy et al. 2025)
    book/             the book's own machinery: profiles, pages and claims, execution, the
                      results cache, Ray sweeps, progress bars, devices

Each subpackage's docstring lists its modules.
"""

from importlib import metadata as _metadata

from attnlab.attention import LowRankAttention, attend, hardmax, normalize
from attnlab.book.device import default_device
from attnlab.book.page import ClaimError, Page
from attnlab.book.profiles import PROFILES, sizes

__version__ = _metadata.version("attnlab")  # one version: pyproject.toml

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
