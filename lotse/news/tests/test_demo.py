"""The demo news load for the demo organisations, twice without duplicates."""

from __future__ import annotations

import pytest

from lotse.accounts.models import Organisation
from lotse.core.demo import DemoContext
from lotse.news import demo, selectors
from lotse.news.models import File, Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(make_org, make_user) -> DemoContext:
    context = DemoContext()
    for slug, kind, who in [
        ("elterninitiativen-sh", Organisation.Kind.ASSOCIATION, "verband"),
        ("netzwerk-kinderarmut", Organisation.Kind.NETWORK, "netzwerk"),
        ("stiftung-fruehe-bildung", Organisation.Kind.FUNDER, "foerderer"),
        ("jugendamt-flensburg", Organisation.Kind.JUGENDAMT, "admin"),
    ]:
        org = Organisation.objects.create(name=slug.title(), slug=slug, kind=kind)
        context.organisations[slug] = org
        context.users[who] = make_user("coordinator", org)
    context.users["eltern"] = make_user()
    return context


def test_demo_news(ctx):
    demo.load(ctx)
    demo.load(ctx)  # idempotent
    assert Post.objects.count() == len(demo.POSTS)
    published = list(selectors.published_posts())
    assert len(published) == len(demo.POSTS) - 1  # one draft
    family = Post.objects.get(title=demo.JUGENDAMT.title)
    assert {t.language for t in family.translations.all()} == {"en", "tr", "ar", "uk"}
    assert family.image and family.image_alt
    archive = selectors.documentation_by_year(ctx.organisations["elterninitiativen-sh"])
    assert sum(len(year.entries) for year in archive) == 3
    photo = File.objects.get(kind=File.Kind.PHOTO)
    assert photo.consent_note
