"""Schemas every router shares: one error shape for the whole API."""

from ninja import Schema


class FieldError(Schema):
    loc: list[str]
    msg: str


class ErrorOut(Schema):
    """Every 4xx answer: a readable ``detail`` and, for invalid input, the fields at fault."""

    detail: str
    errors: list[FieldError] = []
