"""The rank chapter's tests."""

from attnlab.rank.encoder import EncoderConfig

SHAPE = EncoderConfig(d=8, N=6, ff=32)
"""A model small enough for a unit test."""

SMALL = dict(model=SHAPE, batch=16, steps=24, steps_per_epoch=6, lr=0.01)
"""A training run small enough for a unit test."""
