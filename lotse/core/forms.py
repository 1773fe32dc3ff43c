"""Form helpers every app shares: integers that the database can store, numbers and amounts
typed the German way, dates that make sense.

An integer form field without an upper bound accepts ``99999999999999999999999``; the query or
save that follows fails inside the database driver (SQLite: ``OverflowError``, PostgreSQL:
"out of range") and the visitor sees a 500. Every integer a form or the API accepts is
therefore bounded by :data:`MAX_INTEGER` (the 64-bit ``bigint`` both databases store) or a
smaller domain limit; ``core/tests/test_integer_inputs.py`` walks every form and every API
parameter of the project and fails for an unbounded one.

Every integer a person types goes through :class:`LocalIntegerField`: Django's own
``IntegerField`` reads German "1.000" as 1 (it strips a trailing ".000") and its
``type=number`` box refuses or mangles thousands separators. The same test walk fails for a
form integer field that is not the local one.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, NoReturn

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

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
    """``ModelForm`` ``Meta.formfield_callback``: model integer fields become bounded
    :class:`LocalIntegerField` ("1.000"; on SQLite Django knows no range for them), model
    decimals the project's :class:`LocalDecimalField` ("32.000,00")."""
    if isinstance(db_field, models.DecimalField):
        kwargs.setdefault("form_class", LocalDecimalField)
    elif isinstance(db_field, models.IntegerField) and not db_field.choices:
        kwargs.setdefault("form_class", LocalIntegerField)
    field = db_field.formfield(**kwargs)
    return bound_integer(field) if field is not None else None


# --- Numbers and amounts as people in Germany type them ----------------------------------------

_SPACES_AND_CURRENCY = re.compile(r"[\s\u00a0\u202f'’€]|EUR", re.IGNORECASE)


def _grouped(integer_part: str, separator: str) -> bool:
    return bool(re.fullmatch(r"[+-]?\d{1,3}(" + re.escape(separator) + r"\d{3})+", integer_part))


def normalize_decimal(text: str) -> str:
    """``"32.000,00"``, ``"32000,00"``, ``"32.000"`` (German) and ``"32,000.00"``,
    ``"32000.00"`` (English, or a figure copied from a spreadsheet) → ``"32000.00"``.

    With both separators the last one is the decimal separator. With one kind only, it is a
    thousands separator when it groups digits in threes and is the active language's
    thousands separator (German "1.500" is 1500, English "1,500" too), else the decimal
    separator. Anything else is returned unchanged, so the field's own error answers it."""
    value = _SPACES_AND_CURRENCY.sub("", text.strip())
    if "," in value and "." in value:
        decimal = "," if value.rfind(",") > value.rfind(".") else "."
        group = "." if decimal == "," else ","
        integer_part, fraction = value.rsplit(decimal, 1)
        if not _grouped(integer_part, group):
            return text
        return integer_part.replace(group, "") + "." + fraction
    for separator in (",", "."):
        count = value.count(separator)
        if count > 1:
            return value.replace(separator, "") if _grouped(value, separator) else text
        if count == 1:
            thousands = formats.get_format("THOUSAND_SEPARATOR")
            if separator == thousands and _grouped(value, separator):
                return value.replace(separator, "")
            return value.replace(separator, ".")
    return value


class DecimalInput(forms.TextInput):
    """A text box for amounts: ``type=number`` refuses "32.000,00" in the browser already.

    A value from the database is shown in the reader's format with grouping ("32.000,00" in
    German, "32,000.00" in English); a value the person typed comes back as typed."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None, decimal_places: int | None = 2):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.decimal_places = decimal_places

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return formats.number_format(
                value, decimal_pos=self.decimal_places, use_l10n=True, force_grouping=True
            )
        return super().format_value(value)


class LocalDecimalField(forms.DecimalField):
    """THE decimal form field of the project (amounts, fees, units): accepts German and
    English notation (:func:`normalize_decimal`) in every language and shows the value in the
    reader's format."""

    widget = DecimalInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("localize", None)  # the parsing below replaces Django's localisation
        super().__init__(**kwargs)
        if isinstance(self.widget, DecimalInput):
            self.widget.decimal_places = self.decimal_places

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = normalize_decimal(value)
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No min/max/step attributes: they belong to type=number, which this is not.
        return forms.Field.widget_attrs(self, widget)


#: What may group the digits of a whole number: "1.000", "1 000" (also no-break and narrow
#: no-break spaces, as copied from documents), "1'000"; "," in English.
_GROUP_SEPARATORS = (".", ",", " ", "\u00a0", "\u202f", "'", "’")


def normalize_integer(text: str) -> str | None:
    """``"1.000"``, ``"1000"``, ``"1 000"`` → ``"1000"``; ``None`` for what is not a whole
    number (``"1,5"``, ``"1.5"``, ``"1.00"``, ``"12.34.567"``).

    A separator groups digits only in threes, and never the active language's decimal
    separator: German "1,000" is one with three decimals and English "1.000" one, so neither
    is quietly read as a thousand (nor, as Django does, as 1)."""
    value = text.strip()
    sign = ""
    if value[:1] in "+-\u2212":  # also the typographic minus of word processors
        sign, value = ("" if value[0] == "+" else "-"), value[1:].strip()
    if re.fullmatch(r"\d+", value):
        return sign + value
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    for separator in _GROUP_SEPARATORS:
        if separator != decimal and re.fullmatch(
            r"\d{1,3}(?:" + re.escape(separator) + r"\d{3})+", value
        ):
            return sign + value.replace(separator, "")
    return None


class IntegerInput(forms.TextInput):
    """A text box for whole numbers (``type=number`` mangles "1.000" in the browser already).

    A stored value is shown in the reader's format ("1.000" in German, "1,000" in English;
    without grouping for years); a value the person typed comes back as typed."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None, grouping: bool = True):
        super().__init__({"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})
        self.grouping = grouping

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            return formats.number_format(value, use_l10n=True, force_grouping=self.grouping)
        return super().format_value(value)


class LocalIntegerField(forms.IntegerField):
    """THE integer form field of the project (counts, seats, minutes, scores, years): accepts
    "1.000", "1000" and "1 000" as 1000 (:func:`normalize_integer`) and refuses a decimal
    ("1,5") with a clear message instead of cutting it. ``grouping=False`` for years."""

    widget = IntegerInput
    default_error_messages = {
        "invalid": _("Please enter a whole number without decimals, e.g. %(example)s."),
    }

    def __init__(self, *, grouping: bool = True, **kwargs: Any) -> None:
        kwargs.pop("localize", None)  # the parsing below replaces Django's localisation
        super().__init__(**kwargs)
        self.grouping = grouping
        if isinstance(self.widget, IntegerInput):
            self.widget.grouping = grouping

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = normalize_integer(str(value))
        try:
            # int() refuses more than 4300 digits (ValueError): one more wrong number.
            return int(text) if text is not None else self._invalid()
        except ValueError:
            return self._invalid()

    def _invalid(self) -> NoReturn:
        example = formats.number_format(1000, use_l10n=True, force_grouping=self.grouping)
        raise forms.ValidationError(
            self.error_messages["invalid"], code="invalid", params={"example": example}
        )

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No min/max/step attributes: they belong to type=number, which this is not.
        return forms.Field.widget_attrs(self, widget)


class IdField(LocalIntegerField):
    """The id of a database row in a query string (``?district=3``): 1 … 2⁶³−1."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_INTEGER)
        kwargs.setdefault("grouping", False)
        super().__init__(**kwargs)


def money_field(label: Any, *, required: bool = True, minimum: str = "0.01") -> LocalDecimalField:
    """An amount in euros: at least ``minimum``, two decimal places, below 10¹⁰."""
    return LocalDecimalField(
        label=label,
        required=required,
        min_value=Decimal(minimum),
        max_digits=12,
        decimal_places=2,
    )


# --- Dates that make sense (one set of rules for every form) ------------------------------------

#: How far ahead a planned date may lie before it is taken for a typo ("2062" for "2026").
YEARS_AHEAD = 10


def _day(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def not_in_future(value: dt.date | dt.datetime) -> None:
    """For what has happened: a contact, a Fachberatung, a consent, a case opened."""
    if _day(value) > timezone.localdate():
        raise forms.ValidationError(
            _("This date lies in the future. Please give the day on which it took place."),
            code="future",
        )


def not_in_past(value: dt.date | dt.datetime) -> None:
    """For what is planned: a new session, a task's due date, a report due. Today is fine; a
    date more than :data:`YEARS_AHEAD` years ahead is taken for a typo."""
    day, today = _day(value), timezone.localdate()
    if day < today:
        raise forms.ValidationError(
            _("This date has already passed. Please choose today or a later date."),
            code="past",
        )
    if day.year > today.year + YEARS_AHEAD:
        raise forms.ValidationError(
            _("This date lies more than %(years)s years ahead. Please check the year."),
            code="far_future",
            params={"years": YEARS_AHEAD},
        )


def require_order(
    form: forms.BaseForm,
    start: str,
    end: str,
    message: Any = None,
    *,
    allow_equal: bool = False,
) -> None:
    """Add an error to ``end`` unless it lies after ``start`` (on the same day is fine for
    dates with ``allow_equal``). Missing values are left to the fields' own errors."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first is None or last is None:
        return
    if last < first or (last == first and not allow_equal):
        form.add_error(end, message or _("The end must lie after the start."))


def require_not_above(form: forms.BaseForm, lower: str, upper: str, message: Any = None) -> None:
    """Add an error to ``lower`` if it exceeds ``upper`` (a member price above the price)."""
    low, high = form.cleaned_data.get(lower), form.cleaned_data.get(upper)
    if low is not None and high is not None and low > high:
        form.add_error(lower, message or _("This value cannot be higher than the one above."))


def check_planned(form: forms.BaseForm, *names: str) -> None:
    """:func:`not_in_past` for the planned dates the person set or changed in this form: an
    old task whose title is corrected keeps its past due date."""
    for name in names:
        value = form.cleaned_data.get(name)
        if value is None or name not in form.changed_data:
            continue
        try:
            not_in_past(value)
        except forms.ValidationError as error:
            form.add_error(name, error)


# --- A month ------------------------------------------------------------------------------------

#: What a month box accepts: the browser's month picker sends "2026-03"; where a browser has
#: none, people type "03/2026", "3.2026" or "03.2026"; scripts and the API send a date.
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d", "%m/%Y", "%m.%Y", "%m-%Y"]


class MonthInput(forms.DateInput):
    """``<input type="month">``: a month picker; browsers without one show a text box. HTML
    allows neither ``placeholder`` nor ``pattern`` on a month input (the Nu HTML Checker test,
    ``core/tests/test_markup_valid.py``), so the field's help text shows what to type."""

    input_type = "month"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month as the first day of that month (``date(2026, 3, 1)``), years 2000–2100."""

    widget = MonthInput
    input_formats = MONTH_FORMATS
    default_error_messages = {
        "invalid": _("Please give the month as year and month, e.g. 2026-03."),
    }

    def to_python(self, value: Any) -> dt.date | None:
        result = super().to_python(value.strip() if isinstance(value, str) else value)
        if result is None:
            return None
        if not 2000 <= result.year <= 2100:
            raise forms.ValidationError(
                _("Please choose a month between 2000 and 2100."), code="out_of_range"
            )
        return result.replace(day=1)
