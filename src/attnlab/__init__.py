"""attnlab: executable accounts of what one attention layer can and cannot express.

Modules, one idea each:
    attention      multi-head attention with rank and heads chosen independently
    profiles       the one table of run sizes per notebook and profile
    page           profile banner, claims, glued numbers and results JSON for book pages
    cache          atomic writes and a results cache keyed by configuration
    device         picking CPU or GPU; allocator tuning for CPU training
    execute        running the book's notebooks with papermill
    ledger         every claim of every page, with its margin per seed
    sweep          lists of training runs, in-process or on a Ray cluster, resumable
    progress       progress bars: widgets in JupyterLab, text in a terminal

Rank versus heads (Amsel, Yehudai, Bruna):
    neighbors      nearest/farthest-neighbour tasks on the sphere and their baselines
    generalized    the generalised attention class A_{H,r} and the width multiplier c
    encoder        the authors' encoder, K models trained in one batched pass
    train          training loop, schedules, the paper's metric, step FLOPs
    rank_theory    the full-rank construction, random features, majority vote, harmonic bounds
    reported       values read off the paper's figures
    depth          low rank against full rank at depth L and context N (the conjecture)

Composition (Kozachinskiy; Peng, Narayanan, Papadimitriou; Sanford, Hsu, Telgarsky):
    comp_tasks     Comp_n, Ind_n, SUM_2, Match3, palindromes and their reductions
    one_layer      the theorem's softmax transformer, with the key identity
    vc             split-VC dimension by brute force, the VC and finite-precision bounds
    constructions  explicit one- and two-layer transformers solving Comp_n
    comp_training  training one- and two-layer models on Comp_n
    strassen       Strassen attention: one layer that composes (Kozachinskiy et al. 2025)
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
