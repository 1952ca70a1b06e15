"""What the chapter's models are, apart from how they are trained.

As nanoGPT keeps ``GPTConfig`` apart from its training script, a :class:`TransformerConfig`
names the shape every model of a run shares: the attention (``"softmax"``, ``"strassen"``,
``"triangular"`` or ``"third_order"``),
the attention layers, the embedding dimension ``d`` and the heads per layer. The training
configuration (:class:`~attnlab.composition.training.CompConfig`) adds the task, each model's
MLP width and seed, and the optimiser. Which class a shape builds depends on the task too
(:meth:`TransformerConfig.factory`): softmax attention on Comp_n or Ind_n is the theorem's
:class:`~attnlab.composition.transformer.SoftmaxTransformer` (any depth); every other model is
one :class:`~attnlab.composition.strassen.StrassenTransformer` layer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from attnlab._checks import check_choice, check_int
from attnlab.composition.strassen import ATTENTIONS, StrassenTransformer
from attnlab.composition.transformer import SoftmaxTransformer, StackedModel


@dataclass(frozen=True)
class TransformerConfig:
    """The shape of the chapter's models; every field is checked on construction (a bad value
    raises ``ValueError`` naming it).

    Args:
        attention: one of :data:`~attnlab.composition.strassen.ATTENTIONS` (``"softmax"``,
            ``"strassen"``, ``"triangular"`` -- grid tasks only -- or ``"third_order"``).
        layers: attention layers (more than 1 only for the theorem's softmax transformer,
            checked by the training configuration, which knows the task).
        d, heads: embedding dimension and heads per layer; scores are scaled by ``d ** -0.5``.
    """

    attention: str = "softmax"
    layers: int = 1
    d: int = 16
    heads: int = 1

    def __post_init__(self) -> None:
        check_choice("attention", self.attention, ATTENTIONS)
        check_int("layers", self.layers, low=1)
        check_int("d", self.d, low=1)
        check_int("heads", self.heads, low=1)

    def is_softmax_transformer(self, task: str) -> bool:
        """Whether this shape on ``task`` is :class:`SoftmaxTransformer` (softmax on Comp_n or
        Ind_n, the tasks of the theorem)."""
        return self.attention == "softmax" and task in ("comp", "ind")

    def factory(self, task: str, shape: Mapping[str, Any]) -> Callable[..., StackedModel]:
        """The model class of this shape on ``task`` with the task's ``shape``
        (:func:`~attnlab.composition.tasks.task_shape`): call it with ``mlp_width``, ``models``
        and (optionally) ``mlp_widths``."""
        common = dict(d=self.d, heads=self.heads, beta=self.d**-0.5, **shape)
        if self.is_softmax_transformer(task):
            return functools.partial(SoftmaxTransformer, layers=self.layers, **common)
        return functools.partial(StrassenTransformer, attention=self.attention, **common)
