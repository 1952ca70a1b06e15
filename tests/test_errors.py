"""Every bad argument a user can pass to the public API raises a clear error.

Table-driven: each row calls one public function with one bad argument and expects a
``ValueError``/``TypeError`` whose message starts with the parameter's name (so it says
which argument was wrong) and states what is allowed.
"""

from __future__ import annotations

import pytest
import torch

from attnlab import attend
from attnlab.composition import tasks as ct
from attnlab.composition import vc
from attnlab.composition.model import TransformerConfig
from attnlab.composition.training import CompConfig
from attnlab.rank import tasks as nb
from attnlab.rank.config import TrainConfig
from attnlab.rank.encoder import EncoderConfig

TC = dict(model=EncoderConfig(d=16, N=8), ranks=(16,), seeds=(0,))

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
    (
        "comp_task token >= n",
        lambda: ct.comp_task(torch.tensor([[5, 0, 0, 0, 0]]), 2),
        ValueError,
        r"^tokens must hold integers \(g table, h table, query\) in 0\.\.1",
    ),
    (
        "comp_task negative",
        lambda: ct.comp_task(torch.tensor([[-1, 0, 0, 0, 0]]), 2),
        ValueError,
        r"^tokens must hold integers",
    ),
    (
        "comp_task float",
        lambda: ct.comp_task(torch.zeros(1, 5), 2),
        ValueError,
        r"^tokens must be an integer tensor",
    ),
    (
        "comp_task n",
        lambda: ct.comp_task(torch.zeros(1, 3, dtype=torch.long), 1),
        ValueError,
        r"^n must be an integer >= 2",
    ),
    (
        "ind_task pointer",
        lambda: ct.ind_task(torch.tensor([[2, 0, 1]]), 2),
        ValueError,
        r"^tokens\[\.\.\., 0\] must hold integers \(the pointer p\) in 0\.\.1",
    ),
    (
        "ind_task bits",
        lambda: ct.ind_task(torch.tensor([[0, 2, 1]]), 2),
        ValueError,
        r"^tokens\[\.\.\., 1:\] must hold integers \(the bits q\) in 0\.\.1",
    ),
    (
        "match3 outside Z_m",
        lambda: ct.match3(torch.tensor([[7, 1, 2]]), 5),
        ValueError,
        r"^tokens must hold integers \(residues of Z_m\) in 0\.\.4",
    ),
    (
        "vc_dimension 1-D",
        lambda: vc.vc_dimension(torch.tensor([1, 0, 1])),
        ValueError,
        r"^M must be a 2-D bool",
    ),
    (
        "vc_dimension list",
        lambda: vc.vc_dimension([[1, 0], [0, 1]]),
        ValueError,
        r"^M must be a 2-D bool .*got list",
    ),
    (
        "vc_dimension empty",
        lambda: vc.vc_dimension(torch.zeros(0, 0, dtype=torch.bool)),
        ValueError,
        r"^M must have at least one row",
    ),
    (
        "vc_dimension not 0/1",
        lambda: vc.vc_dimension(torch.tensor([[2, 0], [0, 1]])),
        ValueError,
        r"^M must be bool or hold only 0 and 1",
    ),
    (
        "split_vc without sizes",
        lambda: vc.split_vc(lambda t: t[:, 0] == 1, []),
        ValueError,
        r"^sizes must list the alphabet size",
    ),
    (
        "split_vc output shape",
        lambda: vc.split_vc(lambda t: t, [2, 2]),
        ValueError,
        r"^f must map words \(4, 2\) to labels of shape \(4,\)",
    ),
    (
        "farthest_labels 2-D",
        lambda: nb.farthest_labels(torch.zeros(3, 4)),
        ValueError,
        r"^x must have shape \(\.\.\., B, N, d\)",
    ),
    (
        "CompConfig task",
        lambda: CompConfig(task="sort"),
        ValueError,
        r"^task must be one of",
    ),
    (
        "CompConfig n",
        lambda: CompConfig(task="comp", n=1),
        ValueError,
        r"^n must be an integer >= 2",
    ),
    (
        "CompConfig match3 m",
        lambda: CompConfig(task="match3", N=4, m=1),
        ValueError,
        r"^m must be an integer >= 2",
    ),
    (
        "CompConfig brc density",
        lambda: CompConfig(task="brc", m=3, density=1.5),
        ValueError,
        r"^density must be a number in \[0.0, 1.0\]",
    ),
    (
        "TransformerConfig attention",
        lambda: TransformerConfig(attention="cubic"),
        ValueError,
        r"^attention must be one of",
    ),
    (
        "TransformerConfig layers",
        lambda: TransformerConfig(layers=0),
        ValueError,
        r"^layers must be an integer >= 1",
    ),
    (
        "CompConfig strassen layers",
        lambda: CompConfig(n=3, model=TransformerConfig(attention="strassen", layers=2)),
        ValueError,
        r"^layers must be 1",
    ),
    (
        "TransformerConfig d",
        lambda: TransformerConfig(d=0),
        ValueError,
        r"^d must be an integer >= 1",
    ),
    (
        "TransformerConfig heads",
        lambda: TransformerConfig(heads=0),
        ValueError,
        r"^heads must be an integer >= 1",
    ),
    (
        "CompConfig mlp_width",
        lambda: CompConfig(n=3, mlp_width=(4, 0)),
        ValueError,
        r"^mlp_width must be an integer >= 1",
    ),
    (
        "CompConfig seeds",
        lambda: CompConfig(n=3, seeds=()),
        ValueError,
        r"^seeds must list at least one seed",
    ),
    (
        "CompConfig negative seed",
        lambda: CompConfig(n=3, seeds=(-1,)),
        ValueError,
        r"^seeds must be an integer >= 0",
    ),
    (
        "CompConfig steps",
        lambda: CompConfig(n=3, steps=0),
        ValueError,
        r"^steps must be an integer >= 1",
    ),
    (
        "CompConfig batch",
        lambda: CompConfig(n=3, batch=0),
        ValueError,
        r"^batch must be an integer >= 1",
    ),
    (
        "CompConfig lr",
        lambda: CompConfig(n=3, lr=0.0),
        ValueError,
        r"^lr must be a number > 0",
    ),
    (
        "CompConfig eval_every",
        lambda: CompConfig(n=3, eval_every=0),
        ValueError,
        r"^eval_every must be an integer >= 1",
    ),
    (
        "CompConfig eval_samples",
        lambda: CompConfig(n=3, eval_samples=0),
        ValueError,
        r"^eval_samples must be an integer >= 1",
    ),
    (
        "TrainConfig steps_per_epoch 0",
        lambda: TrainConfig(**TC, steps_per_epoch=0),
        ValueError,
        r"^steps_per_epoch must be an integer >= 1",
    ),
    (
        "TrainConfig eval_batches 0",
        lambda: TrainConfig(**TC, eval_batches=0),
        ValueError,
        r"^eval_batches must be an integer >= 1",
    ),
    (
        "TrainConfig warmup > 1",
        lambda: TrainConfig(**TC, warmup=2.0),
        ValueError,
        r"^warmup must be a number in \[0.0, 1.0\]",
    ),
    (
        "TrainConfig protocol",
        lambda: TrainConfig(**TC, protocol="epochs"),
        ValueError,
        r"^protocol must be one of 'fresh', 'replay'",
    ),
    (
        "TrainConfig rank > width",
        lambda: TrainConfig(**{**TC, "ranks": (32,)}),
        ValueError,
        r"^ranks must be an integer in \[1, 16\]",
    ),
    (
        "TrainConfig rank does not divide width",
        lambda: TrainConfig(**{**TC, "ranks": (3,)}),
        ValueError,
        r"^ranks must divide the model width 16; got 3",
    ),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_argument_is_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
