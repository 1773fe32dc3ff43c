import pytest

from lotse.core.demo import DemoContext
from lotse.counselling import demo
from lotse.counselling.models import Case, Consultation, Referral
from lotse.counselling.selectors import referral_inbox

pytestmark = pytest.mark.django_db


def test_demo_loads_two_services_and_is_idempotent(world):
    ctx = DemoContext(
        organisations={
            "lotsenstelle-flensburg": world.service_a,
            "familienberatung-nord": world.service_b,
            "elterninitiativen-sh": world.association,
            "kita-kinderhaus": world.facility,
        },
        users={"lotsin": world.lotsin, "beratung": world.berater, "verband": world.verband},
    )
    lines = demo.load(ctx)
    assert any("Lotsenstelle A" in line for line in lines)
    assert Case.objects.filter(organisation=world.service_a).count() == len(demo.LOTSENSTELLE_CASES)
    assert Case.objects.filter(organisation=world.service_b).count() == len(
        demo.FAMILIENBERATUNG_CASES
    )
    assert Referral.objects.filter(shares_data=True).exists()
    assert Referral.objects.filter(target=world.other_service).exists()
    assert referral_inbox(user=world.planner).exists()
    assert Consultation.objects.filter(facility=world.facility).count() == 2
    counts = (Case.objects.count(), Consultation.objects.count(), Referral.objects.count())
    demo.load(ctx)
    assert (Case.objects.count(), Consultation.objects.count(), Referral.objects.count()) == counts
