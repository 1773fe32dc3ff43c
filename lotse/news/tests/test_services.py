"""Services: writing, publishing, scheduling, translations, files; bad input leaves nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lotse.news import selectors, services
from lotse.news.models import File, Post, PostTranslation
from lotse.news.services import FileData, PostData

from .conftest import png_upload

pytestmark = pytest.mark.django_db


def _stored_files(media_root) -> set[str]:
    return {str(p) for p in media_root.rglob("*") if p.is_file()}


def test_draft_is_invisible_until_published(make_post):
    post = make_post(publish=False)
    assert post.status == Post.Status.DRAFT
    assert list(selectors.published_posts()) == []
    services.post_publish(actor=post.created_by, post=post)
    assert list(selectors.published_posts()) == [post]


def test_scheduled_post_appears_by_its_time_without_a_job(make_post, editor):
    later = timezone.now() + timedelta(hours=2)
    post = make_post(publish_at=later)
    assert post.status == Post.Status.PUBLISHED
    assert list(selectors.published_posts()) == []
    Post.objects.filter(pk=post.pk).update(publish_at=timezone.now() - timedelta(minutes=1))
    assert list(selectors.published_posts()) == [post]


def test_publication_time_in_the_past_is_refused(make_post):
    post = make_post(publish=False)
    with pytest.raises(ValidationError):
        services.post_publish(
            actor=post.created_by, post=post, publish_at=timezone.now() - timedelta(days=2)
        )
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_only_editors_of_the_organisation_may_write(make_post, other_editor, parent, association):
    post = make_post()
    data = PostData(title="Übernommen", teaser="x")
    for actor in (other_editor, parent):
        with pytest.raises(PermissionDenied):
            services.post_create(actor=actor, organisation=association, data=data)
        with pytest.raises(PermissionDenied):
            services.post_update(actor=actor, post=post, data=data)
        with pytest.raises(PermissionDenied):
            services.post_unpublish(actor=actor, post=post)
    post.refresh_from_db()
    assert post.title == "Fachtag Eltern-Kind-Zentren"


def test_publishing_is_in_the_audit_log_with_the_actor(make_post, editor):
    post = make_post()
    entries = LogEntry.objects.get_for_object(post)
    published = [e for e in entries if "status" in (e.changes or {})]
    assert published and published[0].actor == editor
    assert published[0].changes["status"] == ["draft", "published"]
    assert post.published_by == editor


def test_script_in_the_body_is_refused_and_nothing_is_saved(editor, association):
    data = PostData(title="Hallo", teaser="x", body="Text <script>alert(1)</script>")
    with pytest.raises(ValidationError) as error:
        services.post_create(actor=editor, organisation=association, data=data)
    assert "script" in str(error.value)
    assert Post.objects.count() == 0


def test_event_handler_and_javascript_link_are_refused(editor, association):
    for body in ('<img src=x onerror="alert(1)">', "[klick](javascript:alert(1))"):
        with pytest.raises(ValidationError):
            services.post_create(
                actor=editor, organisation=association, data=PostData("T", "x", body=body)
            )
    assert Post.objects.count() == 0


def test_a_title_of_10000_characters_gets_a_clear_error(editor, association):
    data = PostData(title="A" * 10_000, teaser="x")
    with pytest.raises(ValidationError) as error:
        services.post_create(actor=editor, organisation=association, data=data)
    assert "title" in error.value.error_dict
    assert "10000" in str(error.value)
    assert Post.objects.count() == 0


def test_a_30_mb_image_is_refused_and_no_file_is_left(editor, association, media_root):
    before = _stored_files(media_root)
    big = SimpleUploadedFile("gross.png", b"\x89PNG\r\n\x1a\n" + b"0" * (30 * 1024 * 1024))
    data = PostData(title="Mit Bild", teaser="x", image_alt="Ein Bild")
    with pytest.raises(ValidationError) as error:
        services.post_create(actor=editor, organisation=association, data=data, image=big)
    assert "30" in str(error.value)
    assert Post.objects.count() == 0
    assert _stored_files(media_root) == before


def test_a_broken_image_is_refused(editor, association):
    fake = SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"not really an image")
    with pytest.raises(ValidationError):
        services.post_create(
            actor=editor,
            organisation=association,
            data=PostData("T", "x", image_alt="Bild"),
            image=fake,
        )
    assert Post.objects.count() == 0


def test_an_image_needs_alternative_text(editor, association):
    with pytest.raises(ValidationError) as error:
        services.post_create(
            actor=editor, organisation=association, data=PostData("T", "x"), image=png_upload()
        )
    assert "image_alt" in error.value.error_dict
    assert Post.objects.count() == 0


def test_the_image_is_stored_anew_without_metadata(editor, association):
    from PIL import Image

    post = services.post_create(
        actor=editor,
        organisation=association,
        data=PostData("T", "x", image_alt="Kinder mit Bauklötzen"),
        image=png_upload(),
    )
    assert post.image.name.endswith(".png")
    with Image.open(post.image.path) as image:
        assert image.size == (40, 30)
        assert not image.info.get("exif")


def test_the_image_is_served_with_the_type_of_its_content(editor, association, client):
    """The type comes from the checked content (finding 8): a stored file that is not a
    picture any more — whatever its name — is not served as one."""
    post = services.post_create(
        actor=editor,
        organisation=association,
        data=PostData("T", "x", image_alt="Kinder mit Bauklötzen"),
        image=png_upload(),
    )
    services.post_publish(actor=editor, post=post)
    url = f"/news/{post.pk}/image/"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    with open(post.image.path, "wb") as stored:  # the file behind the .png name changed
        stored.write(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>')
    assert client.get(url).status_code == 404


def test_a_failing_save_removes_the_stored_image(editor, association, media_root, monkeypatch):
    before = _stored_files(media_root)

    def boom(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Post, "save", boom)
    with pytest.raises(RuntimeError):
        services.post_create(
            actor=editor,
            organisation=association,
            data=PostData("T", "x", image_alt="Bild"),
            image=png_upload(),
        )
    assert _stored_files(media_root) == before


def test_translations(make_post, editor):
    post = make_post()
    services.translation_save(
        actor=editor, post=post, language="tr", title="Çocuk", teaser="Kısa", body="Metin"
    )
    with pytest.raises(ValidationError):
        services.translation_save(actor=editor, post=post, language="de", title="x", teaser="x")
    with pytest.raises(ValidationError):
        services.translation_save(actor=editor, post=post, language="xx", title="x", teaser="x")
    post = selectors.get_public_post(post.pk)
    assert selectors.in_language(post, "tr").title == "Çocuk"
    assert selectors.in_language(post, "ar") == post  # no Arabic text: the original
    assert PostTranslation.objects.count() == 1


def test_withdrawn_posts_disappear_and_only_drafts_can_be_deleted(make_post, editor):
    post = make_post()
    with pytest.raises(ValidationError):
        services.post_delete(actor=editor, post=post)
    services.post_unpublish(actor=editor, post=post)
    assert list(selectors.published_posts()) == []
    services.post_delete(actor=editor, post=post)
    assert Post.objects.count() == 0


def test_photo_needs_a_consent_note(make_post, editor, media_root):
    post = make_post()
    before = _stored_files(media_root)
    with pytest.raises(ValidationError):
        services.file_add(
            actor=editor,
            post=post,
            upload=png_upload(),
            data=FileData(title="Gruppenfoto", kind=File.Kind.PHOTO),
        )
    assert _stored_files(media_root) == before
    item = services.file_add(
        actor=editor,
        post=post,
        upload=png_upload(),
        data=FileData(
            title="Gruppenfoto",
            kind=File.Kind.PHOTO,
            is_documentation=True,
            consent_note="Alle haben schriftlich zugestimmt.",
        ),
    )
    assert item.file_type == "png"
    years = selectors.documentation_by_year(post.organisation)
    assert [e.title for e in years[0].entries] == ["Gruppenfoto"]


def test_html_disguised_as_pdf_is_refused(make_post, editor):
    post = make_post()
    with pytest.raises(ValidationError):
        services.file_add(
            actor=editor,
            post=post,
            upload=SimpleUploadedFile("flyer.pdf", b"<html><script>alert(1)</script>"),
            data=FileData(title="Flyer", kind=File.Kind.FLYER),
        )
    assert File.objects.count() == 0


def test_files_of_another_organisation_cannot_be_deleted(make_post, other_editor, editor):
    post = make_post()
    item = services.file_add(
        actor=editor,
        post=post,
        upload=SimpleUploadedFile("folien.txt", b"Folien"),
        data=FileData(title="Folien", kind=File.Kind.SLIDES),
    )
    with pytest.raises(PermissionDenied):
        services.file_delete(actor=other_editor, item=item)
    assert File.objects.count() == 1
