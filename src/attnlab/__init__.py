"""attnlab: executable accounts of what one attention layer can and cannot express.

Modules, one idea each:
    attention   multi-head attention with rank and heads chosen independently
    profiles    the one table of run sizes per notebook and profile
    page        profile banner, claims, glued numbers and results JSON for book pages
    cache       atomic writes and a results cache keyed by configuration
    device      picking CPU or GPU
"""

from attnlab.attention import LowRankAttention, attend, hardmax, normalize
from attnlab.device import default_device
from attnlab.page import ClaimError, Page
from attnlab.profiles import PROFILES, sizes

__version__ = "0.1.0"

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
