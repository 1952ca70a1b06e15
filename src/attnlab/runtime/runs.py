"""A table of trained models, one row each, read the same way in both chapters.

A chapter's sweep files every model it trained as a row: its identity (task or context
length, layers, heads, rank, seed, ...) and its results. Pages then ask for rows by identity
(``runs.select(N=16, rank=1)``), for one field of them (``runs.values("heldout", ...)``) or for
the best of a field (``runs.best("metric", ...)``), never by position in a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Runs"]


@dataclass(frozen=True)
class Runs:
    """Rows of trained models (dicts with the same fields), in the order they were filed."""

    rows: tuple[dict[str, Any], ...]

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        object.__setattr__(self, "rows", tuple(rows))

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields of the rows (those of the first row)."""
        return tuple(self.rows[0]) if self.rows else ()

    def select(self, **where: Any) -> list[dict[str, Any]]:
        """The rows whose fields equal ``where``'s values.

        Raises ``ValueError`` naming a field no row has, and ``KeyError`` when no row matches.
        """
        for name in where:
            if name not in self.fields:
                raise ValueError(f"where: no field {name!r}; fields: {', '.join(self.fields)}")
        out = [row for row in self.rows if all(row[k] == v for k, v in where.items())]
        if not out:
            raise KeyError(f"no trained model with {where}")
        return out

    def values(self, field: str, **where: Any) -> list[Any]:
        """``field`` of every matching row, in filing order."""
        return [row[field] for row in self.select(**where)]

    def best(self, field: str, **where: Any) -> float:
        """The smallest ``field`` over the matching rows (an error or a loss: lower is better)."""
        return float(min(self.values(field, **where)))
