"""Statistics for funders (Sachbericht, Verwendungsnachweis): counts, never people.

Every count goes through :mod:`lotse.core.disclosure`: counts of 1 and 2 are hidden, and so is
every further cell from which a hidden count could be worked out (from a total, from another
table of the same people, or from referral targets and their kinds). True zeros are shown as
0. One table of people is protected as a whole:

- cases: new or not × outcome of those closed in the period (headline and outcome table);
- contacts: channel × language used × interpreter (three tables with the same total);
- referrals: target × kind of target × outcome (each target has one kind).

Topics and client languages may be several per case; their tables are protected on their own
and their rows may add up to more than the number of cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lotse.accounts.models import Organisation
from lotse.core.disclosure import MIN_COUNT, CountTable, Figure, ProtectedTable
from lotse.directory.models import Service

from .models import LANGUAGE_CHOICES, Case, Contact, Referral, Topic

#: The category of rare languages merged so that no single rare language is listed.
OTHERS = "__others__"
#: Outcome of a case not closed in the period.
OPEN = None


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None  # None: the whole year

    @property
    def start(self) -> date:
        month = 1 if self.quarter is None else 3 * (self.quarter - 1) + 1
        return date(self.year, month, 1)

    @property
    def end(self) -> date:
        if self.quarter is None or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def slug(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"


@dataclass(frozen=True)
class Cell:
    label: str
    figure: Figure

    @property
    def count(self) -> int:
        """The true count: for tests and checks only, never for output."""
        return self.figure.value

    @property
    def suppressed(self) -> bool:
        return self.figure.hidden

    @property
    def display(self) -> str:
        return str(self.figure)


@dataclass(frozen=True)
class StatTable:
    key: str
    title: str
    rows: list[Cell]
    total: Cell | None = None
    #: A unit may fall into several rows (topics, languages of a case).
    overlapping: bool = False


@dataclass(frozen=True)
class FunderReport:
    organisation: Organisation
    period: Period
    headline: list[Cell]
    tables: list[StatTable]

    @property
    def any_hidden(self) -> bool:
        cells = [*self.headline, *(c for t in self.tables for c in [*t.rows, t.total] if c)]
        return any(c.suppressed for c in cells)


@dataclass(frozen=True)
class _Facts:
    """The coded rows of one service and period (no aliases, no notes)."""

    cases: list[tuple]  # topics, client languages, opened on, closed on, outcome
    contacts: list[tuple]  # channel, language, interpreter, minutes
    referrals: list[tuple]  # target name, target kind, outcome


def funder_report(*, organisation: Organisation, period: Period) -> FunderReport:
    """Counts for one counselling service and period; codes only, never aliases or notes.

    Cases count when they were open at any time in the period; contacts, referrals and
    closing outcomes when they happened in it.
    """
    facts = _facts(organisation, period)
    cases = _cases(facts.cases, period)
    contacts, contact_languages = _contacts(facts.contacts)
    referrals = _referrals(facts.referrals)
    cases_total = Cell(_("Cases in the period"), cases.total)
    minutes = sum(c[3] for c in facts.contacts)
    headline = [
        cases_total,
        Cell(_("New cases"), cases.get(new=True)),
        Cell(_("Cases closed"), cases.get(closed=True)),
        Cell(_("Contacts"), contacts.total),
        Cell(_("Referrals"), referrals.total),
        # Hours are not a count of people; they are never hidden.
        Cell(_("Counselling hours"), Figure(round(minutes / 60))),
    ]
    tables = [
        *_case_tables(facts, cases_total),
        *_contact_tables(contacts, contact_languages),
        _outcome_table(cases),
        *_referral_tables(facts, referrals),
    ]
    return FunderReport(organisation, period, headline, tables)


def _facts(organisation: Organisation, period: Period) -> _Facts:
    start, end = period.start, period.end
    cases = Case.objects.filter(organisation=organisation, opened_on__lte=end).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=start)
    )
    return _Facts(
        cases=list(
            cases.values_list("topics", "client__languages", "opened_on", "closed_on", "outcome")
        ),
        contacts=list(
            Contact.objects.filter(
                case__organisation=organisation, date__range=(start, end)
            ).values_list("channel", "language", "interpreter", "duration_minutes")
        ),
        referrals=list(
            Referral.objects.filter(
                case__organisation=organisation, sent_at__date__range=(start, end)
            ).values_list("target__name", "target__kind", "outcome")
        ),
    )


def _language_labels() -> dict[str, str]:
    labels = {code: str(label) for code, label in LANGUAGE_CHOICES}
    labels[OTHERS] = _("Others (combined)")
    return labels


def _case_tables(facts: _Facts, cases_total: Cell) -> list[StatTable]:
    return [
        _overlapping(
            "topic",
            _("Cases by topic"),
            [set(row[0]) for row in facts.cases],
            {k: str(v) for k, v in Topic.choices},
            cases_total,
        ),
        _overlapping(
            "language",
            _("Cases by client language"),
            _merge_rare([set(row[1]) for row in facts.cases]),
            _language_labels(),
            cases_total,
        ),
    ]


def _outcome_table(cases: ProtectedTable) -> StatTable:
    outcomes = {k: str(v) for k, v in Case.Outcome.choices if k}
    outcomes[""] = _("Not recorded")
    return _rows(
        "outcome",
        _("Closed cases by outcome"),
        cases,
        "outcome",
        outcomes,
        total=cases.get(closed=True),
    )


def _contact_tables(contacts: ProtectedTable, languages: list[str]) -> list[StatTable]:
    labels = _language_labels()
    return [
        _rows("channel", _("Contacts by channel"), contacts, "channel", Contact.Channel.choices),
        _rows(
            "contact_language",
            _("Contacts by language used"),
            contacts,
            "language",
            [(code, labels[code]) for code in languages],
        ),
        _rows(
            "interpreter",
            _("Contacts with an interpreter"),
            contacts,
            "interpreter",
            [(True, _("with interpreter")), (False, _("without interpreter"))],
        ),
    ]


def _referral_tables(facts: _Facts, referrals: ProtectedTable) -> list[StatTable]:
    kinds = {row[1] for row in facts.referrals}
    return [
        _rows(
            "referral_target",
            _("Referrals by target"),
            referrals,
            "target",
            [(name, name) for name in sorted({row[0] for row in facts.referrals})],
        ),
        _rows(
            "referral_kind",
            _("Referrals by kind of target"),
            referrals,
            "kind",
            [(k, v) for k, v in Service.Kind.choices if k in kinds],
        ),
        _rows(
            "referral_outcome",
            _("Referrals by outcome"),
            referrals,
            "outcome",
            Referral.Outcome.choices,
        ),
    ]


def _cases(rows: list[tuple], period: Period) -> ProtectedTable:
    table = CountTable(["new", "closed", "outcome"], depends={"closed": "outcome"})
    for _topics, _languages, opened_on, closed_on, outcome in rows:
        closed = closed_on is not None and period.start <= closed_on <= period.end
        table.add(
            new=opened_on >= period.start,
            closed=closed,
            outcome=(outcome or "") if closed else OPEN,
        )
    table.publish()
    table.publish("new", values={"new": [True]})
    table.publish("closed", values={"closed": [True]})
    table.publish("outcome", values={"outcome": [k for k, _v in Case.Outcome.choices]})
    return table.protect()


def _contacts(rows: list[tuple]) -> tuple[ProtectedTable, list[str]]:
    """Contacts by channel, language (rare ones merged) and interpreter, protected together."""
    languages = _merge_rare([{row[1]} for row in rows])
    table = CountTable(["channel", "language", "interpreter"])
    for (channel, _language, interpreter, _minutes), merged in zip(rows, languages, strict=True):
        table.add(channel=channel, language=next(iter(merged)), interpreter=interpreter)
    occurring = _by_count({next(iter(m)) for m in languages}, languages)
    table.publish()
    table.publish("channel", values={"channel": Contact.Channel.values})
    table.publish("language", values={"language": occurring})
    table.publish("interpreter", values={"interpreter": [True, False]})
    return table.protect(), occurring


def _referrals(rows: list[tuple]) -> ProtectedTable:
    table = CountTable(["target", "kind", "outcome"], depends={"kind": "target"})
    for target, kind, outcome in rows:
        table.add(target=target, kind=kind, outcome=outcome)
    table.publish()
    table.publish("target")
    table.publish("kind")
    table.publish("outcome", values={"outcome": Referral.Outcome.values})
    return table.protect()


def _merge_rare(values: list[set[str]]) -> list[set[str]]:
    """Rare languages (fewer than 3 units) become "others": listing a rare language at all
    could point to a family."""
    counts: dict[str, int] = {}
    for units in values:
        for value in units:
            counts[value] = counts.get(value, 0) + 1
    return [{v if counts[v] >= MIN_COUNT else OTHERS for v in units} for units in values]


def _by_count(codes: set[str], values: list[set[str]]) -> list[str]:
    """Most frequent first, "others" last."""
    counts = {code: sum(1 for units in values if code in units) for code in codes}
    ordered = sorted((c for c in codes if c != OTHERS), key=lambda c: (-counts[c], c))
    return ordered + ([OTHERS] if OTHERS in codes else [])


def _overlapping(
    key: str, title: str, values: list[set[str]], labels: dict[str, str], total: Cell
) -> StatTable:
    """A table where a case may count in several rows; the footer is the number of cases."""
    table = CountTable([key], multi=[key])
    for units in values:
        if units:
            table.add(**{key: units})
    codes = [code for code in labels if any(code in units for units in values)]
    codes += sorted({v for units in values for v in units} - set(labels))
    table.publish(key, values={key: codes})
    figures = table.protect()
    rows = [Cell(str(labels.get(code, code)), figures.get(**{key: code})) for code in codes]
    rows.sort(key=lambda cell: cell.label == labels.get(OTHERS))
    return StatTable(key, title, rows, total, overlapping=True)


def _rows(
    key: str,
    title: str,
    figures: ProtectedTable,
    dimension: str,
    labels: Iterable[tuple[object, object]] | dict,
    *,
    total: Figure | None = None,
) -> StatTable:
    pairs = labels.items() if isinstance(labels, dict) else labels
    rows = [Cell(str(label), figures.get(**{dimension: code})) for code, label in pairs]
    footer = Cell(pgettext("counselling", "Total"), total if total is not None else figures.total)
    return StatTable(key, title, rows, footer)
