"""Rank versus heads (Amsel, Yehudai, Bruna 2024): one full-rank head against many low-rank ones.

Modules:
    tasks          nearest/farthest-neighbour tasks on the sphere, the biased target, baselines
    generalized    the class A_{H,r} of H rank-r heads with any score map
    theory         the full-rank construction's error, random features, majority vote, bounds
    constructions  heads with explicit weights: full rank, biased full rank, two rank-1 layers
    encoder        the authors' encoder, K models trained in one batched pass, and its shape
    config         one batched training run: its configuration, schedule and FLOPs
    memory         how many of a run's models fit in one training pass
    train          the training loop, the paper's metric, one run and a sweep of runs
    runs           a page's runs: groups trained as one sweep, filed as a table of models
    rank_heads     rank against heads in training (page 12: fig1, figN, fig3)
    reported       values read off the paper's figures
    depth          low rank against full rank at depth L and context N (the paper's conjecture)
"""
