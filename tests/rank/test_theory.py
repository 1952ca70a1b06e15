"""Closed forms of the rank-versus-heads theory against Monte Carlo."""

import math

import numpy as np
import pytest
import torch

from attnlab.rank import theory as rt
from attnlab.rank.tasks import orthogonal_pair


def test_full_rank_construction_converges():
    errs = [rt.full_rank_construction_error(b, 16, 8, samples=4000) for b in (1, 10, 100, 10_000)]
    assert all(a > b for a, b in zip(errs, errs[1:], strict=False))
    assert errs[-1] < 1e-3
    assert rt.full_rank_construction_error(10_000, 16, 8, task="farthest", samples=500) < 1e-3


@pytest.mark.parametrize(("task", "N"), [("nearest", 2), ("nearest", 5), ("farthest", 2), ("farthest", 4)])
def test_full_rank_error_estimate_matches_direct_simulation(task, N):
    betas = (1.0, 4.0, 16.0)
    est, est_se = rt.full_rank_error_estimate(betas, N, 6, task=task, samples=4000, seed=3)
    sim, sim_se = rt.full_rank_construction_error(betas, N, 6, task=task, samples=40_000, seed=5, stderr=True)
    assert np.all(np.abs(est - sim) < 4 * np.hypot(est_se, sim_se))


def test_full_rank_error_tail_is_near_tie_constant_over_beta():
    betas = (1e4, 1e5)
    est, se = rt.full_rank_error_estimate(betas, 8, 6, samples=4000, seed=1)
    assert np.all(se < 0.1 * est)  # near-ties are integrated out: small spread even at large beta
    C, C_se = rt.near_tie_constant(8, 6, samples=4000, seed=2)
    np.testing.assert_allclose(est * np.array(betas), C, rtol=5 * max(C_se / C, se[-1] / est[-1]))


def test_log_axis_error_bars_stay_positive():
    bars = rt.log_axis_error_bars(np.array([1.0, 1e-3]), np.array([0.1, 5e-3]))
    np.testing.assert_allclose(bars, [[0.1, 0.9e-3], [0.1, 5e-3]])


def test_full_rank_error_estimate_rejects_bad_task():
    with pytest.raises(ValueError, match="task"):
        rt.full_rank_error_estimate(1.0, 2, 4, task="middle")
    with pytest.raises(ValueError, match="samples"):
        rt.full_rank_error_estimate(1.0, 2, 4, samples=1)


def test_gram_matrix_matches_monte_carlo():
    q, k = rt.random_rank1_heads(5, 6, seed=1)
    batch = orthogonal_pair(200_000, 6, seed=4, dtype=torch.float64)
    u = batch.x[:, 0] - batch.x[:, 1]
    s = torch.sign((batch.y @ torch.as_tensor(q).T) * (u @ torch.as_tensor(k).T))  # (B, H)
    mid = (batch.x[:, 0] + batch.x[:, 1]) / 2
    outs = mid[:, None] + s[:, :, None] * u[:, None] / 2  # (B, H, d)
    C_mc = torch.einsum("bhd,bgd->hg", outs, outs) / len(outs)
    b_mc = torch.einsum("bhd,bd->h", outs, batch.target) / len(outs)
    np.testing.assert_allclose(C_mc.numpy(), rt.feature_gram(q, k), atol=0.01)
    np.testing.assert_allclose(b_mc.numpy(), rt.feature_target(q, k), atol=0.01)


def test_random_features_closed_form_matches_monte_carlo():
    q, k = rt.random_rank1_heads(32, 8, seed=0)
    C, b = rt.feature_gram(q, k), rt.feature_target(q, k)
    a = np.linalg.solve(C, b)
    mc = rt.random_features_mse_mc(q, k, a, samples=200_000, seed=3)
    assert abs(mc - rt.random_features_mse(q, k)) < 0.01


def test_g_d_limits():
    # rho = 1: E[arcsin<k,u> sign<k,u>] = E|arcsin u_1|, odd in rho
    d = 10
    u1 = torch.nn.functional.normalize(torch.randn(400_000, d, dtype=torch.float64), dim=-1)[:, 0]
    assert abs(rt.g_d(1.0, d)[0] - torch.arcsin(u1.abs()).mean().item()) < 2e-3
    np.testing.assert_allclose(rt.g_d(np.array([-0.3, 0.3]), d), [-rt.g_d(0.3, d)[0], rt.g_d(0.3, d)[0]])


def test_vote_probability_matches_simulation():
    d, n = 8, 200_000
    gen = torch.Generator().manual_seed(0)
    y, u, q = (
        torch.nn.functional.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=-1)
        for _ in range(3)
    )
    correct = torch.sign((q * y).sum(-1) * (q * u).sum(-1)) == torch.sign((u * y).sum(-1))
    cos = (u * y).sum(-1).numpy()
    bins = np.linspace(-1, 1, 9)
    which = np.digitize(cos, bins)
    for j in range(2, 8):
        sel = which == j
        assert abs(correct.numpy()[sel].mean() - rt.vote_probability(cos[sel]).mean()) < 0.01


def test_majority_vote_error_matches_simulation():
    d, H, n = 8, 15, 40_000
    gen = torch.Generator().manual_seed(1)
    y, u = (
        torch.nn.functional.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=-1)
        for _ in range(2)
    )
    q = torch.nn.functional.normalize(torch.randn(n, H, d, generator=gen, dtype=torch.float64), dim=-1)
    votes = torch.sign(torch.einsum("nhd,nd->nh", q, y) * torch.einsum("nhd,nd->nh", q, u)).sum(-1)
    wrong = (torch.sign(votes) != torch.sign((u * y).sum(-1))).double().mean().item()
    assert abs(2 * wrong - rt.majority_vote_error(H, d)) < 0.02


def test_energy_and_lower_bound():
    e = rt.gegenbauer_energy(16, 61)
    assert np.all(e[::2] == 0) and 0.97 < e.sum() <= 1 + 1e-9
    assert abs(e[1] - 16 * (math.gamma(8) / (math.sqrt(math.pi) * math.gamma(8.5))) ** 2) < 1e-6
    frac = rt.rank_fraction(16, 1, 5)
    np.testing.assert_allclose(frac[:2], [1.0, 1 / 16])
    bound = rt.harmonic_lower_bound(np.array([1, 100, 10_000]), 16, 1)
    assert np.all(np.diff(bound) < 0) and bound[0] <= 0.5
    q, k = rt.random_rank1_heads(256, 16, seed=0)
    assert rt.random_features_mse(q, k) >= rt.harmonic_lower_bound(256, 16, 1)[0]
    assert rt.heads_needed(16, 1, 0.1) > rt.heads_needed(16, 4, 0.1)
    hb = rt.heads_lower_bound(64, 4, 0.5)
    assert hb["high_dimensional"] == pytest.approx(2 * math.log10(16))
    assert hb["high_accuracy"] == pytest.approx((64 - 4 * math.log(16)) / math.log(10))
    assert hb["high_accuracy_alt"] == pytest.approx(60 / math.log(10))
    assert all(math.isnan(v) for v in rt.heads_lower_bound(8, 8, 0.1).values())


def test_energy_fraction_mc_matches_gegenbauer_energy():
    # least-squares polynomial fits on samples of <y, u> against the quadrature's cumulative energy
    for d in (5, 16):
        mc = rt.energy_fraction_mc(d, (1, 3, 5), samples=100_000, seed=2)
        exact = np.cumsum(rt.gegenbauer_energy(d, 5))[[1, 3, 5]]
        np.testing.assert_allclose(mc, exact, atol=0.01)
        assert np.all(np.diff(mc) >= 0)  # nested fits explain more
    # degree 0 (a constant) explains nothing of the odd target, up to sampling noise
    assert abs(rt.energy_fraction_mc(8, (0,), samples=50_000)[0]) < 0.01
    with pytest.raises(ValueError, match="degree"):
        rt.energy_fraction_mc(8, (-1,))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rt.heads_lower_bound(8, 9, 0.1), "rank"),
        (lambda: rt.rank_fraction(8, 9), "rank"),
        (lambda: rt.full_rank_construction_error(1.0, 1, 4), "N"),
        (lambda: rt.random_rank1_heads(0, 4), "heads"),
        (lambda: rt.majority_vote_error(4, 8), "heads"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_plurality_vote_error_matches_direct_count_and_ignores_chunking():
    from attnlab.rank.tasks import nearest_neighbor
    from attnlab.rank.theory import plurality_vote_error

    nb = nearest_neighbor(300, 5, 6, seed=3, dtype=torch.float64)
    q = torch.nn.functional.normalize(
        torch.randn(41, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64), dim=-1
    )
    vote = ((nb.y @ q.T)[..., None] * torch.einsum("bnd,hd->bhn", nb.x, q)).argmax(-1)
    counts = torch.nn.functional.one_hot(vote, 5).sum(1)
    pick = nb.x[torch.arange(300), counts.argmax(-1)]
    direct = ((pick - nb.target) ** 2).sum(-1).mean().item()
    assert plurality_vote_error(nb.x, nb.y, nb.target, q) == pytest.approx(direct, abs=1e-12)
    assert plurality_vote_error(nb.x, nb.y, nb.target, q, chunk=7) == pytest.approx(direct, abs=1e-12)


def test_random_rank1_heads_distribution_and_seeding():
    q, k = rt.random_rank1_heads(20_000, 8, seed=1)
    assert q.shape == k.shape == (20_000, 8) and q.dtype == torch.float64
    torch.testing.assert_close(q.norm(dim=-1), torch.ones(20_000, dtype=torch.float64))
    torch.testing.assert_close(k.norm(dim=-1), torch.ones(20_000, dtype=torch.float64))
    rho = (q * k).sum(-1)
    assert abs(rho.mean()) < 0.02 and abs((rho**2).mean() - 1 / 3) < 0.01  # cos angle ~ U(-1, 1)
    gen = torch.Generator().manual_seed(1)
    q2, k2 = rt.random_rank1_heads(20_000, 8, seed=gen)
    assert torch.equal(q, q2) and torch.equal(k, k2)
    # numpy arrays and tensors give the same closed forms
    q, k = rt.random_rank1_heads(6, 5, seed=2)
    assert rt.random_features_mse(q, k) == rt.random_features_mse(q.numpy(), k.numpy())


def test_rank1_features_match_the_heads_choice():
    batch = orthogonal_pair(300, 5, seed=0, dtype=torch.float64)
    q, k = rt.random_rank1_heads(7, 5, seed=0)
    c = torch.linspace(-0.5, 0.5, 7, dtype=torch.float64)
    out = rt.rank1_features(batch.x, batch.y, q, k, c)
    assert out.shape == (300, 7, 5)
    for b in range(0, 300, 37):
        for h in range(7):
            s = [float((batch.y[b] @ q[h] - c[h]) * (batch.x[b, i] @ k[h])) for i in range(2)]
            torch.testing.assert_close(out[b, h], batch.x[b, max(range(2), key=s.__getitem__)])
    # without biases the outputs are the closed form's (x1 + x2)/2 + s_h u/2
    u = batch.x[:, 0] - batch.x[:, 1]
    s = torch.sign((batch.y @ q.T) * (u @ k.T))
    mid = (batch.x[:, 0] + batch.x[:, 1]) / 2
    torch.testing.assert_close(
        rt.rank1_features(batch.x, batch.y, q, k), mid[:, None] + s[..., None] * u[:, None] / 2
    )


def test_fitted_output_error_recovers_exact_weights():
    gen = torch.Generator().manual_seed(0)
    F = torch.randn(200, 4, 3, generator=gen, dtype=torch.float64)
    a = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)
    f = torch.einsum("bhd,h->bd", F, a)
    assert rt.fitted_output_error(F[:100], f[:100], F[100:], f[100:]) < 1e-20
    noise = torch.randn(100, 3, generator=gen, dtype=torch.float64)
    assert rt.fitted_output_error(F[:100], f[:100], F[100:], f[100:] + noise) == pytest.approx(
        (noise**2).sum(-1).mean().item(), rel=1e-9
    )
    with pytest.raises(ValueError, match="test_features"):
        rt.fitted_output_error(F, f, F[:, :2], f)


def test_step_ratios():
    np.testing.assert_array_equal(
        rt.step_ratios([1.0, 0.5, 0.5, 0.0, 0.0, 1e-3]), [0.5, 1.0, 0.0, 0.0, np.inf]
    )


def test_beta_to_reach():
    betas = [1.0, 10.0, 100.0, 1000.0]
    errors = [1.0, 0.1, 0.01, 0.001]  # error = 1 / beta: the crossing of 0.05 is at beta = 20
    assert rt.beta_to_reach(betas, errors, 0.05) == pytest.approx(20.0)
    assert rt.beta_to_reach(betas, errors, 0.1) == pytest.approx(10.0)  # on a grid point
    assert rt.beta_to_reach(betas, errors, 2.0) == 1.0  # already below at the first beta
    assert math.isnan(rt.beta_to_reach(betas, errors, 1e-4))  # never reached
    assert rt.beta_to_reach(betas, [1.0, 0.5, 0.0, 0.0], 0.1) == 100.0  # exact zero: its grid point
    with pytest.raises(ValueError, match="level"):
        rt.beta_to_reach(betas, errors, 0.0)
    with pytest.raises(ValueError, match="betas"):
        rt.beta_to_reach([10.0, 1.0], [1.0, 0.1], 0.5)
    with pytest.raises(ValueError, match="betas"):
        rt.beta_to_reach(betas, errors[:3], 0.5)


def test_binned_vote_agreement():
    gen = torch.Generator().manual_seed(2)
    y, u, q = (
        torch.nn.functional.normalize(torch.randn(80_000, 8, generator=gen, dtype=torch.float64), dim=-1)
        for _ in range(3)
    )
    centres, measured, formula = rt.binned_vote_agreement(y, u, q, bins=8)
    assert centres.shape == measured.shape == formula.shape == (8,)
    assert np.all(np.diff(centres) > 0)  # bins in order of cos theta
    np.testing.assert_allclose(measured, formula, atol=0.02)
    np.testing.assert_allclose(formula, rt.vote_probability(centres), atol=0.03)  # p is smooth within a bin
    with pytest.raises(ValueError, match="u"):
        rt.binned_vote_agreement(y, u[:, :3], q)
