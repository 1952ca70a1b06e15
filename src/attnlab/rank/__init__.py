"""Rank versus heads (Amsel, Yehudai, Bruna 2024): one full-rank head against many low-rank ones.

Modules:
    tasks          nearest/farthest-neighbour tasks on the sphere, the biased target, baselines
    generalized    the class A_{H,r} of H rank-r heads with any score map
    theory         the full-rank construction's error, random features, majority vote, bounds
    constructions  heads with explicit weights: full rank, biased full rank, two rank-1 layers
    encoder        the authors' encoder, K models trained in one batched pass
    training       training loop, schedules, the paper's metric, step FLOPs
    reported       values read off the paper's figures
    depth          low rank against full rank at depth L and context N (the paper's conjecture)
"""
