"""E-mail subscriptions: double opt-in, batches by the worker, one-click unsubscribe, GDPR."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lotse.accounts.gdpr import gdpr_erase, gdpr_export
from lotse.news import retention, services
from lotse.news.models import Mailing, Subscription

pytestmark = pytest.mark.django_db


def _confirm_link(body: str) -> str:
    return re.search(r"(/news/subscription/[^/\s]+/)", body)[1]


def test_double_opt_in(client, association, commits, make_post):
    make_post()  # the organisation has a public page
    with commits():
        response = client.post(
            reverse("news:subscribe", args=[association.slug]), {"email": "Ayse@Example.org"}
        )
    assert response.status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.email == "ayse@example.org" and subscription.confirmed_at is None
    assert len(mail.outbox) == 1
    link = _confirm_link(mail.outbox[0].body)
    # Opening the link (or a mail scanner doing so) confirms nothing.
    assert "button" in client.get(link).content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None
    client.post(link)
    subscription.refresh_from_db()
    assert subscription.confirmed_at is not None


def test_subscribing_again_reveals_nothing_and_sends_no_second_confirmation(
    client, association, commits, make_post
):
    make_post()
    Subscription.objects.create(
        organisation=association, email="known@example.org", confirmed_at=timezone.now()
    )
    with commits():
        response = client.post(
            reverse("news:subscribe", args=[association.slug]), {"email": "known@example.org"}
        )
    assert response.status_code == 200 and mail.outbox == []


def test_bad_address_is_a_clear_error(client, association, make_post):
    make_post()
    response = client.post(reverse("news:subscribe", args=[association.slug]), {"email": "nope"})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert Subscription.objects.count() == 0


def test_published_post_is_mailed_in_batches_with_unsubscribe_headers(
    association, make_post, commits, editor
):
    Subscription.objects.bulk_create(
        [
            Subscription(
                organisation=association,
                email=f"p{n}@example.org",
                language="en" if n % 2 else "de",
                confirmed_at=timezone.now(),
                token=f"token-{n:04d}",
            )
            for n in range(120)
        ]
        + [Subscription(organisation=association, email="pending@example.org", token="pend")]
    )
    post = make_post(publish=False)
    with commits():
        services.post_publish(actor=editor, post=post)
    # 120 confirmed subscribers, 50 per batch: three batches, everyone once, pending nobody.
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 120 and len(set(recipients)) == 120
    assert "pending@example.org" not in recipients
    mailing = Mailing.objects.get(post=post)
    assert mailing.sent == 120 and mailing.finished_at is not None
    message = mail.outbox[0]
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert re.fullmatch(r"<http://.+/news/unsubscribe/token-\d{4}/>", unsubscribe)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in message.body
    # Running the task again sends nothing twice.
    assert services.mailing_send_batch(post_id=post.pk) == 0
    assert len(mail.outbox) == 120


def test_scheduled_post_is_mailed_only_when_its_time_has_come(
    association, make_post, commits, editor
):
    Subscription.objects.create(
        organisation=association, email="a@example.org", confirmed_at=timezone.now()
    )
    post = make_post(publish=False)
    with commits():
        services.post_publish(
            actor=editor, post=post, publish_at=timezone.now() + timedelta(hours=3)
        )
    assert mail.outbox == []
    assert services.mailings_send_due() == 0
    later = timezone.now() + timedelta(hours=4)
    post.__class__.objects.filter(pk=post.pk).update(publish_at=timezone.now())
    assert services.mailings_send_due(now=later) == 1
    assert len(mail.outbox) == 1


def test_one_click_unsubscribe_without_csrf_token(association):
    item = Subscription.objects.create(
        organisation=association, email="a@example.org", confirmed_at=timezone.now()
    )
    client = Client(enforce_csrf_checks=True)
    url = reverse("news:unsubscribe", args=[item.token])
    assert "button" in client.get(url).content.decode()
    assert Subscription.objects.count() == 1  # GET changes nothing
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Subscription.objects.count() == 0
    # A second click is harmless.
    assert client.post(url).status_code == 200


def test_gdpr_export_and_erasure(association, parent, client_for):
    Subscription.objects.create(
        organisation=association, email=parent.email, confirmed_at=timezone.now()
    )
    export = gdpr_export(parent)
    assert export["news"]["subscriptions"][0]["organisation"] == association.name
    gdpr_erase(actor=parent, user=parent)
    assert Subscription.objects.count() == 0


def test_retention_deletes_unconfirmed_subscriptions(association):
    old = Subscription.objects.create(organisation=association, email="old@example.org")
    Subscription.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    Subscription.objects.create(organisation=association, email="new@example.org")
    Subscription.objects.create(
        organisation=association, email="kept@example.org", confirmed_at=timezone.now()
    )
    retention.retention_job(timezone.now())
    assert set(Subscription.objects.values_list("email", flat=True)) == {
        "new@example.org",
        "kept@example.org",
    }
