"""Form helpers every app shares: integers that the database can store.

An integer form field without an upper bound accepts ``99999999999999999999999``; the query or
save that follows fails inside the database driver (SQLite: ``OverflowError``, PostgreSQL:
"out of range") and the visitor sees a 500. Every integer a form or the API accepts is
therefore bounded by :data:`MAX_INTEGER` (the 64-bit ``bigint`` both databases store) or a
smaller domain limit; ``core/tests/test_integer_inputs.py`` walks every form and every API
parameter of the project and fails for an unbounded one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

MAX_INTEGER = 2**63 - 1
MIN_INTEGER = -(2**63)


def is_integer_field(field: forms.Field) -> bool:
    # DecimalField and FloatField are IntegerField subclasses in Django; they are not integers.
    return isinstance(field, forms.IntegerField) and not isinstance(
        field, forms.DecimalField | forms.FloatField
    )


def integer_bounds(field: forms.Field) -> tuple[int | None, int | None]:
    """The (min, max) a field's validators enforce (None: unbounded)."""
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return (max(lows) if lows else None, min(highs) if highs else None)


def bound_integer(
    field: forms.Field, *, min_value: int = MIN_INTEGER, max_value: int = MAX_INTEGER
) -> forms.Field:
    """Add the bounds a field lacks (validators, and the widget's min/max for the browser).

    Setting ``field.max_value`` after construction validates nothing; this does."""
    if not is_integer_field(field):
        return field
    low, high = integer_bounds(field)
    if low is None or low < min_value:
        field.validators.append(MinValueValidator(min_value))
        field.min_value = min_value
    if high is None or high > max_value:
        field.validators.append(MaxValueValidator(max_value))
        field.max_value = max_value
    if isinstance(field.widget, forms.NumberInput):
        low, high = integer_bounds(field)
        field.widget.attrs.update(min=low, max=high)
    return field


def bounded_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """``ModelForm`` ``Meta.formfield_callback``: model integer fields become bounded form
    fields (on SQLite Django knows no range for them)."""
    field = db_field.formfield(**kwargs)
    return bound_integer(field) if field is not None else None


class IdField(forms.IntegerField):
    """The id of a database row in a query string (``?district=3``): 1 … 2⁶³−1."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_INTEGER)
        super().__init__(**kwargs)
