"""Every bad argument a user can pass to the public API raises a clear error.

Table-driven: each row calls one public function with one bad argument and expects a
``ValueError``/``TypeError`` whose message starts with the parameter's name (so it says
which argument was wrong) and states what is allowed.
"""

from __future__ import annotations

import pytest
import torch

from attnlab import attend

q, k, v = torch.zeros(2, 3, 4), torch.zeros(2, 5, 4), torch.zeros(2, 5, 6)

CASES = [
    # (id, call, exception, message regex)
    (
        "attend q/k width",
        lambda: attend(q, torch.zeros(2, 5, 3), v, beta=1.0),
        ValueError,
        r"^k must have shape \(\.\.\., M, 4\)",
    ),
    (
        "attend k/v length",
        lambda: attend(q, k, torch.zeros(2, 4, 6), beta=1.0),
        ValueError,
        r"^v must have shape \(\.\.\., 5, dv\)",
    ),
    (
        "attend batch",
        lambda: attend(q, torch.zeros(3, 5, 4), torch.zeros(3, 5, 6), beta=1.0),
        ValueError,
        r"^q, k and v must have broadcastable",
    ),
    ("attend beta < 0", lambda: attend(q, k, v, beta=-1.0), ValueError, r"^beta must be a number >= 0"),
    (
        "attend beta nan",
        lambda: attend(q, k, v, beta=float("nan")),
        ValueError,
        r"^beta must be a finite number",
    ),
    (
        "attend normalization",
        lambda: attend(q, k, v, beta=1.0, normalization="sparsemax"),
        ValueError,
        r"^normalization must be one of 'softmax', 'hardmax'",
    ),
    (
        "attend q not tensor",
        lambda: attend([[1.0]], k, v, beta=1.0),
        ValueError,
        r"^q must be a torch.Tensor",
    ),
    (
        "attend mask dtype",
        lambda: attend(q, k, v, beta=1.0, mask=torch.ones(3, 5)),
        ValueError,
        r"^mask must be a bool tensor",
    ),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_is_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
