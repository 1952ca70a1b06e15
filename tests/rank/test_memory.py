"""Memory planning: the budget, models per pass, passes that train as one, a real step's peak."""

from dataclasses import replace

import pytest
import torch

from attnlab.rank.config import TrainConfig
from attnlab.rank.memory import models_per_pass, step_memory
from attnlab.rank.train import train
from tests.rank import SMALL


def test_memory_budget_reads_the_environment(monkeypatch):
    from attnlab.runtime.device import memory_budget

    monkeypatch.delenv("ATTNLAB_MEMORY_GB", raising=False)
    assert memory_budget("cpu") > 0
    monkeypatch.setenv("ATTNLAB_MEMORY_GB", "1.5")
    assert memory_budget("cpu") == int(1.5 * 2**30)
    for bad in ("0", "-2", "lots"):
        monkeypatch.setenv("ATTNLAB_MEMORY_GB", bad)
        with pytest.raises(ValueError, match="ATTNLAB_MEMORY_GB"):
            memory_budget("cpu")


def test_models_per_pass_fits_the_budget_and_names_batch_when_one_model_does_not():
    cfg = TrainConfig(ranks=(8, 2, 4, 8), seeds=(0, 1, 2, 3), **SMALL)
    need = step_memory(cfg)
    assert need > 0
    assert step_memory(replace(cfg, batch=2 * cfg.batch)) > need  # activations grow with the batch
    assert models_per_pass(cfg, memory=10**12) == 4
    assert models_per_pass(cfg, memory=int(2.5 * need)) == 2
    assert models_per_pass(cfg, memory=need) == 1
    with pytest.raises(ValueError, match="batch"):
        models_per_pass(cfg, memory=need - 1)


def test_training_in_passes_equals_one_pass():
    ranks, seeds, protocols = (8, 8, 4, 2), (0, 1, 2, 3), ("fresh", "replay", "replay", "fresh")
    cfg = TrainConfig(ranks=ranks, seeds=seeds, protocol=protocols, eval_batches=2, **SMALL)
    whole, model = train(cfg, progress=False)
    split, merged = train(cfg, progress=False, memory=2 * step_memory(cfg))  # two models a pass
    assert (whole["passes"], split["passes"]) == (1, 2)
    for key in ("epoch_loss", "heldout", "metric"):
        torch.testing.assert_close(torch.tensor(split[key]), torch.tensor(whole[key]), rtol=1e-4, atol=1e-5)
    assert split["replayed_final"][0] is None and split["protocol"] == list(protocols)
    for (name, p), q in zip(model.named_parameters(), merged.parameters(), strict=True):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-5, msg=name)


PEAK_SCRIPT = """
import sys, torch
from attnlab.rank import config, memory, train
from attnlab.rank.encoder import EncoderConfig
from attnlab.runtime.seeds import data_generators

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

torch.set_num_threads(1)
N, L, c, K, B, ff = map(int, sys.argv[1:7])
cfg = config.TrainConfig(EncoderConfig(d=32, N=N, layers=L, c=c, ff=ff),
                         ranks=tuple([1, 32, 4, 8][k % 4] for k in range(K)),
                         seeds=tuple(range(K)), batch=B, steps=2)
plan = cfg.K * memory.step_memory(cfg)
# load the kernels first
warm = config.TrainConfig(EncoderConfig(d=32, N=4, ff=8), ranks=(1,), seeds=(0,), batch=1)
model = warm.build()
train.training_step(model, train.make_optimizer(model, 0.01), data_generators((0,), train.TRAIN_DATA), 1)
base = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from here
model = cfg.build()
opt, gens = train.make_optimizer(model, cfg.lr), data_generators(cfg.seeds, train.TRAIN_DATA)
for _ in range(2):
    train.training_step(model, opt, gens, B)
print(plan, status("VmHWM") - base)
"""


@pytest.mark.parametrize("shape", ["64 2 16 2 64 256", "16 3 4 8 64 256"])
def test_step_memory_plans_for_a_real_steps_peak(shape, tmp_path):
    """The plan against the resident peak of two real steps of the K models (Linux's VmHWM, in a
    fresh process that gives freed memory back): never below it, and not wastefully above."""
    import os
    import subprocess
    import sys

    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("needs Linux's /proc/self/clear_refs to restart the peak")
    env = os.environ | {"ATTNLAB_KEEP_FREED_MEMORY": "0", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", PEAK_SCRIPT, *shape.split()]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    plan, peak = map(int, out.stdout.split())
    assert peak <= plan <= 4 * peak, (plan / 2**20, peak / 2**20)
