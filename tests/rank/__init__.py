"""The rank chapter's tests."""

SMALL = dict(d=8, N=6, ff=32, batch=16, steps=24, steps_per_epoch=6, lr=0.01)
"""A training run small enough for a unit test."""
