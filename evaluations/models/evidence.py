"""Evidence is kept: rows that are the joint record (runs, sample results, reviews, published
findings) are never deleted through the ORM, whether one at a time (`obj.delete()`) or in bulk
(`QuerySet.delete()`). Foreign keys to them use PROTECT, so a project with runs or findings cannot
be deleted either; projects are withdrawn or closed instead.

`on_delete=PROTECT` only guards a row that something refers to; these guards cover the rest (a
run with no samples yet, a review, a published finding). Migration 0010 adds the same rule as a
database trigger, for SQL that bypasses the ORM (TRUNCATE, which the test suite's flush uses, is
not a DELETE and is not affected).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import ProtectedError


class KeptQuerySet(models.QuerySet):
    """A queryset whose `delete()` refuses the rows that `kept_rows` selects, deleting nothing."""

    def kept_rows(self) -> models.QuerySet:
        return self  # every row is kept unless a model says otherwise

    def delete(self) -> tuple[int, dict[str, int]]:
        kept = list(self.kept_rows()[:10])
        if kept:
            raise ProtectedError(kept_reason(self.model), set(kept))
        return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class PublishedFindingQuerySet(KeptQuerySet):
    def kept_rows(self) -> models.QuerySet:
        return self.filter(status="published")


def kept_reason(model: type[models.Model]) -> str:
    name = model._meta.verbose_name_plural
    return (
        f"Cannot delete: {name} are evidence of the joint record and are kept. "
        "Withdraw or close the project instead."
    )


class KeptModel(models.Model):
    """A model whose rows `is_kept` (all by default) refuse `delete()` with ProtectedError."""

    class Meta:
        abstract = True

    def is_kept(self) -> bool:
        return True

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.pk is not None and self.is_kept():
            raise ProtectedError(kept_reason(type(self)), {self})
        return super().delete(*args, **kwargs)
