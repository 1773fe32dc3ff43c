"""The one interface between ``applications`` and the ``allocation`` app above it.

``applications`` (children, applications, seats, offers) never imports ``allocation``
(import-linter enforces the direction, see docs/architecture.md). The three things it needs
from the side that allocates seats go through an :class:`AllocationPort`, which
``lotse.allocation`` registers once at start-up (``AllocationConfig.ready``):

- ``rules_for(municipality)`` — the municipality's wish limit, application deadline and the
  places an under-3 child counts in a mixed group;
- ``outcome_lines(application)`` — the explained outcome a family reads on its status page;
- ``round_timeline(application)`` — the dates of the allocation round that covers the
  application (snapshot, publication, last re-run) and of the next round, for "what happens
  next, and when" on the status page (:class:`RoundTimeline`);
- ``outcome_together(application)`` — for a child placed together with siblings, one
  sentence on how the group came out ("placed together with Ben"), else ``None``;
- ``seat_freed(offer)`` — a declined, expired or withdrawn offer freed its seat. Called
  inside the transaction that freed it; the receiver acts once it commits (re-run the round).
- ``seats_added(quota)`` — facility staff added seats (a new quota or a higher capacity);
  ``application_submitted(application)`` — a (possibly late) application arrived. Both are
  called inside the transaction; the receiver re-runs the published round whose months
  cover them once it commits (intake through the year, docs/allocation.md).

Without a registered port (an installation without allocation, or a unit test) the defaults
below apply: five wishes, no deadline, an under-3 child counting 2 places in a mixed group,
nothing to explain, a freed seat changes nothing more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .models import Application, Offer, SeatQuota


@dataclass(frozen=True)
class ApplicationRules:
    """What a family's application must respect in one municipality."""

    max_wishes: int = 5
    application_deadline: dt.date | None = None
    #: Places an under-3 child counts in a mixed group (1 to 6 years).
    mixed_under3_weight: int = 2


DEFAULT_RULES = ApplicationRules()


@dataclass(frozen=True)
class RoundDates:
    """One allocation round as a family's status page tells it: dates only."""

    name: str
    #: the care start months the round allocates (first of the month)
    start_from: dt.date
    start_until: dt.date
    #: draft (prepared), snapshot (applications frozen), published, closed
    status: str
    snapshot_at: dt.datetime | None = None
    published_at: dt.datetime | None = None
    #: the last re-run after a seat freed up (None: none yet) and how many there were
    last_run_at: dt.datetime | None = None
    reruns: int = 0
    #: the day the Jugendamt plans to publish the round (None: not set)
    planned_publication: dt.date | None = None


@dataclass(frozen=True)
class RoundTimeline:
    """The round that covers an application (its desired start) and the one after it.

    ``in_snapshot``: the application was frozen in the round's snapshot (on time); re-runs use
    the wishes it had then. ``joined_late``: it arrived after the snapshot (a late
    application); it joins the round's next re-run, which reads its wishes afresh each time."""

    current: RoundDates | None = None
    next: RoundDates | None = None
    in_snapshot: bool = False
    joined_late: bool = False


NO_TIMELINE = RoundTimeline()


class AllocationPort(Protocol):
    def rules_for(self, municipality: str) -> ApplicationRules: ...

    def outcome_lines(self, application: Application) -> list[Any]: ...

    def outcome_together(self, application: Application) -> str | None: ...

    def round_timeline(self, application: Application) -> RoundTimeline: ...

    def seat_freed(self, offer: Offer) -> None: ...

    def seats_added(self, quota: SeatQuota) -> None: ...

    def application_submitted(self, application: Application) -> None: ...


class NoAllocation:
    """The port's behaviour while no allocation app registered one."""

    def rules_for(self, municipality: str) -> ApplicationRules:
        return DEFAULT_RULES

    def outcome_lines(self, application: Application) -> list[Any]:
        return []

    def outcome_together(self, application: Application) -> str | None:
        return None

    def round_timeline(self, application: Application) -> RoundTimeline:
        return NO_TIMELINE

    def seat_freed(self, offer: Offer) -> None:
        return None

    def seats_added(self, quota: SeatQuota) -> None:
        return None

    def application_submitted(self, application: Application) -> None:
        return None


_port: AllocationPort = NoAllocation()


def register(port: AllocationPort) -> None:
    """Install the allocation side (once, from an ``AppConfig.ready``)."""
    global _port
    _port = port


def allocation() -> AllocationPort:
    """The registered allocation side (or :class:`NoAllocation`)."""
    return _port
