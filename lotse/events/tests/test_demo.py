import pytest

from lotse.accounts.models import Organisation
from lotse.core.demo import DemoContext
from lotse.events import demo
from lotse.events.models import Event, Registration

pytestmark = pytest.mark.django_db


def test_demo_programme_is_consistent_and_idempotent(make_org, make_user):
    ctx = DemoContext()
    ctx.organisations["elterninitiativen-sh"] = make_org(
        Organisation.Kind.ASSOCIATION, name="Verband der Elterninitiativen"
    )
    ctx.organisations["netzwerk-kinderarmut"] = make_org(Organisation.Kind.NETWORK)
    ctx.organisations["kita-kinderhaus"] = make_org(Organisation.Kind.FACILITY)
    ctx.users["eltern"] = make_user(full_name="Elif Yılmaz")
    ctx.users["eltern2"] = make_user(full_name="Jonas Petersen")
    lines = demo.load(ctx)
    assert "fully booked" in lines[0]
    count = Event.objects.count()
    assert count == len(demo.PLANS) + 1
    assert demo.load(ctx) and Event.objects.count() == count
    for event in Event.objects.all():
        holding = event.registrations.filter(status__in=Registration.HOLDS_SEAT).count()
        assert event.seats_taken == holding <= event.capacity
    full = [e for e in Event.objects.all() if e.seats_free == 0]
    assert len(full) >= 3
    assert Registration.objects.filter(
        user=ctx.users["eltern2"], status=Registration.Status.WAITLISTED
    ).exists()
