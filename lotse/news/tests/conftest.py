from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lotse.accounts.models import Organisation, Role
from lotse.news import services
from lotse.news.models import Post
from lotse.news.services import PostData


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (11, 93, 122)).save(out, format="PNG")
    return out.getvalue()


def png_upload(name: str = "foto.png", **size: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**size), content_type="image/png")


@pytest.fixture
def association(make_org) -> Organisation:
    return make_org(Organisation.Kind.ASSOCIATION, name="Verband der Elterninitiativen")


@pytest.fixture
def other_org(make_org) -> Organisation:
    return make_org(Organisation.Kind.NETWORK, name="Netzwerk gegen Kinderarmut")


@pytest.fixture
def editor(make_user, association):
    return make_user(Role.COORDINATOR, association, full_name="Vera Verband")


@pytest.fixture
def other_editor(make_user, other_org):
    return make_user(Role.COORDINATOR, other_org, full_name="Nora Netzwerk")


@pytest.fixture
def parent(make_user):
    return make_user(full_name="Elif Yılmaz")


@pytest.fixture
def commits(django_capture_on_commit_callbacks) -> Callable[[], Any]:
    """Run on-commit callbacks (mails, mailings) inside a test transaction."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def make_post(editor, association) -> Callable[..., Post]:
    def make(
        *,
        title: str = "Fachtag Eltern-Kind-Zentren",
        publish: bool = True,
        publish_at: datetime | None = None,
        organisation: Organisation | None = None,
        actor: Any = None,
        **fields: Any,
    ) -> Post:
        data = PostData(
            title=title,
            teaser=fields.pop("teaser", "Modellstandorte stellen sich vor."),
            body=fields.pop("body", "Ein **Galerie-Rundgang** mit Impulsen."),
            topics=tuple(fields.pop("topics", ("training",))),
            **fields,
        )
        post = services.post_create(
            actor=actor or editor, organisation=organisation or association, data=data
        )
        if publish:
            post = services.post_publish(actor=actor or editor, post=post, publish_at=publish_at)
        return post

    return make
