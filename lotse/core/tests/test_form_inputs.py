"""Inputs as staff in Germany type them (issue 17): amounts like "32.000,00", dates that make
sense, and drop-downs whose empty entry speaks the page's language. The helpers live in
lotse.core.forms; the apps' tests post them through the real forms."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.utils import timezone, translation

from lotse.core.forms import (
    LocalDecimalField,
    LocalIntegerField,
    check_planned,
    money_field,
    not_in_future,
    not_in_past,
    require_not_above,
    require_order,
)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("32.000,00", "32000.00"),
        ("32000,00", "32000.00"),
        ("32000.00", "32000.00"),
        ("32,000.00", "32000.00"),
        ("32.000", "32000"),
        ("1.234.567,89", "1234567.89"),
        ("32 000,00 €", "32000.00"),
        ("32.000,00 EUR", "32000.00"),
        ("0,5", "0.5"),
        ("1,5", "1.5"),
    ],
)
def test_german_amounts_are_accepted(typed, value):
    with translation.override("de"):
        assert money_field("Betrag").clean(typed) == Decimal(value)


@pytest.mark.parametrize("typed", ["32.000,00", "32000.00", "32,000.00", "1,500", "0.5"])
def test_english_pages_accept_both_notations(typed):
    expected = {"1,500": Decimal("1500"), "0.5": Decimal("0.5")}.get(typed, Decimal("32000"))
    with translation.override("en"):
        assert money_field("Amount").clean(typed) == expected


@pytest.mark.parametrize("typed", ["32.00.0", "3,2,1", "zwölf", "1.2345,00"])
def test_nonsense_is_still_refused_in_german(typed):
    with translation.override("de"), pytest.raises(forms.ValidationError) as error:
        money_field("Betrag").clean(typed)
    assert "Zahl" in " ".join(error.value.messages)


def test_amounts_are_shown_in_the_readers_format():
    field = money_field("Betrag")
    with translation.override("de"):
        html = field.widget.render("amount", Decimal("32000.00"))
        assert 'value="32.000,00"' in html and 'inputmode="decimal"' in html
        assert 'type="text"' in html  # type=number would refuse "32.000,00" in the browser
        # What the person typed comes back as typed.
        assert 'value="32.000,0x"' in field.widget.render("amount", "32.000,0x")
    with translation.override("en"):
        assert 'value="32,000.00"' in field.widget.render("amount", Decimal("32000.00"))
    units = LocalDecimalField(decimal_places=1, max_digits=4)
    with translation.override("de"):
        assert 'value="2,5"' in units.widget.render("units", Decimal("2.5"))


def test_model_decimal_fields_become_the_shared_field():
    from lotse.events.forms import EventForm

    assert isinstance(EventForm.base_fields["fee"], LocalDecimalField)
    assert isinstance(EventForm.base_fields["member_fee"], LocalDecimalField)


def test_every_decimal_form_field_of_the_project_is_the_shared_one():
    from lotse.core.tests.test_integer_inputs import _import_all, _subclasses

    _import_all()
    plain = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in _subclasses(forms.BaseForm)
        if cls.__module__.startswith("lotse.")
        for name, field in getattr(cls, "base_fields", {}).items()
        if isinstance(field, forms.DecimalField) and not isinstance(field, LocalDecimalField)
    ]
    assert plain == []


# --- Whole numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1.000", 1000),
        ("1000", 1000),
        ("1 000", 1000),
        ("1\u00a0000", 1000),
        ("1\u202f000", 1000),
        ("12.345.678", 12345678),
        (" 25 ", 25),
        ("-500", -500),
        ("\u2212500", -500),
        ("+7", 7),
        ("0", 0),
    ],
)
def test_german_whole_numbers_are_read_as_typed(typed, value):
    with translation.override("de"):
        assert LocalIntegerField(min_value=-(10**6), max_value=10**9).clean(typed) == value


@pytest.mark.parametrize(
    "typed",
    [
        "1.5",
        "1,5",
        "1,000",
        "1.00",
        "1.0000",
        "12.34.567",
        "zehn",
        pytest.param("9" * 5000, id="huge"),
    ],
)
def test_german_decimals_are_refused_not_cut(typed):
    # Django's IntegerField reads "1.000" as 1 and "1.0" as 1; a count is never quietly cut.
    with translation.override("de"):
        with pytest.raises(forms.ValidationError) as error:
            LocalIntegerField().clean(typed)
        assert error.value.messages == [
            "Bitte geben Sie eine ganze Zahl ohne Nachkommastellen ein, z. B. 1.000."
        ]


def test_english_pages_group_with_commas_and_refuse_a_decimal_point():
    field = LocalIntegerField()
    with translation.override("en"):
        assert field.clean("1,000") == 1000
        assert field.clean("1 000") == 1000
        with pytest.raises(forms.ValidationError) as error:
            field.clean("1.000")  # one with three decimals in English: refused, not 1 or 1000
        assert error.value.messages == ["Please enter a whole number without decimals, e.g. 1,000."]


def test_whole_numbers_are_shown_in_the_readers_format():
    field = LocalIntegerField()
    with translation.override("de"):
        html = field.widget.render("seats", 12500)
        assert 'value="12.500"' in html and 'inputmode="numeric"' in html
        assert 'type="text"' in html  # type=number mangles "1.000" in the browser
        assert 'value="1.00x"' in field.widget.render("seats", "1.00x")
    with translation.override("en"):
        assert 'value="12,500"' in field.widget.render("seats", 12500)
    year = LocalIntegerField(grouping=False)
    with translation.override("de"):
        assert 'value="2026"' in year.widget.render("year", 2026)


def test_bounds_still_hold_after_german_grouping():
    field = LocalIntegerField(min_value=0, max_value=500)
    with translation.override("de"), pytest.raises(forms.ValidationError):
        field.clean("1.000")


def test_every_integer_form_field_of_the_project_is_the_local_one():
    from lotse.core.tests.test_integer_inputs import integer_form_fields

    fields = integer_form_fields()
    assert len(fields) >= 20  # the walk reaches forms and model forms of every app
    plain = [
        name
        for name, field in fields.items()
        if not isinstance(field, LocalIntegerField) and ".tests." not in name
    ]
    assert plain == [], "use lotse.core.forms.LocalIntegerField: " + ", ".join(sorted(plain))


def test_model_integer_fields_become_the_local_field():
    from lotse.events.forms import EventForm

    assert isinstance(EventForm.base_fields["capacity"], LocalIntegerField)
    with translation.override("de"):
        assert EventForm.base_fields["capacity"].clean("1.000") == 1000


# --- Dates -----------------------------------------------------------------------------------


def test_date_rules():
    today = timezone.localdate()
    not_in_future(today)
    not_in_past(today)
    with translation.override("de"):
        with pytest.raises(forms.ValidationError, match="in der Zukunft"):
            not_in_future(today + dt.timedelta(days=1))
        with pytest.raises(forms.ValidationError, match="bereits vorbei"):
            not_in_past(dt.date(2020, 3, 1))
        with pytest.raises(forms.ValidationError, match="Jahr"):
            not_in_past(today.replace(year=today.year + 40))
    # Aware datetimes count by the local day.
    not_in_future(timezone.now())


class _Period(forms.Form):
    starts_on = forms.DateField()
    ends_on = forms.DateField()
    price = forms.IntegerField(required=False, min_value=0, max_value=1000)
    member_price = forms.IntegerField(required=False, min_value=0, max_value=1000)

    def clean(self):
        data = super().clean()
        require_order(self, "starts_on", "ends_on")
        require_not_above(self, "member_price", "price")
        check_planned(self, "starts_on")
        return data


def test_order_and_planned_dates():
    future = timezone.localdate() + dt.timedelta(days=10)
    later = future + dt.timedelta(days=1)
    good = _Period({"starts_on": future, "ends_on": later, "price": 10, "member_price": 8})
    assert good.is_valid(), good.errors
    same = _Period({"starts_on": future, "ends_on": future})
    assert not same.is_valid() and "ends_on" in same.errors
    cheaper = _Period({"starts_on": future, "ends_on": later, "price": 8, "member_price": 10})
    assert not cheaper.is_valid() and "member_price" in cheaper.errors
    past = _Period({"starts_on": "2020-01-01", "ends_on": "2020-01-02"})
    assert not past.is_valid() and "starts_on" in past.errors
    # An old record whose past date was not touched stays valid.
    unchanged = _Period(
        {"starts_on": "2020-01-01", "ends_on": "2020-01-02"},
        initial={"starts_on": dt.date(2020, 1, 1)},
    )
    assert unchanged.is_valid(), unchanged.errors


def test_german_dates_are_accepted_in_german_forms():
    field = forms.DateField()
    with translation.override("de"):
        assert field.clean("30.11.2026") == dt.date(2026, 11, 30)
        assert field.clean("2026-11-30") == dt.date(2026, 11, 30)  # what type=date sends


# --- The empty entry of a drop-down ------------------------------------------------------------


def _blank_labels() -> set[str]:
    labels = set()
    for model in apps.get_models():
        if not model.__module__.startswith("lotse."):
            continue
        for field in model._meta.get_fields():
            if getattr(field, "choices", None) and getattr(field, "blank", False):
                formfield = field.formfield()
                if formfield is not None and formfield.choices[0][0] == "":
                    labels.add(str(formfield.choices[0][1]))
    return labels


@pytest.mark.parametrize("language", ["de", "en", "tr", "ar", "uk", "ru", "fa"])
def test_the_empty_choice_speaks_the_pages_language(language):
    with translation.override(language):
        labels = _blank_labels()
    assert labels, "no model field with blank choices found"
    assert not any("Select an option" in label for label in labels)
    if language == "de":
        assert "– bitte auswählen –" in labels
