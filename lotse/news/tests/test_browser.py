"""In a real browser: an editor writes a post with an image, previews it, publishes it; a
visitor reads it on the news page, in Arabic, and on a phone; accessibility checked by axe."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from lotse.news import services
from lotse.news.models import Post

from .conftest import png_bytes


def _serious(results) -> list[str]:
    return [
        f"{v['id']}: {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_write_publish_and_read_a_post(page, live_server, login, editor, association, tmp_path):
    base = live_server.url
    image = tmp_path / "bauklotz.png"
    image.write_bytes(png_bytes(480, 320))

    login(page, editor.email)
    page.goto(f"{base}/dashboard/")
    page.click("text=Aktuelles: schreiben und veröffentlichen")
    page.click("text=Neuen Beitrag schreiben")
    page.fill("input[name=title]", "Neue Fortbildungen im Frühjahr")
    page.fill("textarea[name=teaser]", "Kinderschutz, Sprache und Vorstandsarbeit.")
    page.fill("textarea[name=body]", "# Programm\n\n- Kinderschutz\n- **Sprache**")
    page.check("input[name=topics][value=training]")
    page.set_input_files("input[name=image]", str(image))
    page.click("button:has-text('Entwurf speichern')")
    # Forgot the alternative text: a clear message, nothing saved.
    page.wait_for_selector("text=Beschreiben Sie das Bild")
    assert Post.objects.count() == 0
    page.set_input_files("input[name=image]", str(image))
    page.fill("input[name=image_alt]", "Ein Turm aus Bauklötzen")
    page.click("button:has-text('Entwurf speichern')")
    page.wait_for_selector("text=Der Entwurf wurde gespeichert.")
    page.screenshot(path="/tmp/news-edit.png", full_page=True)

    page.click("a:has-text('Vorschau')")
    page.wait_for_selector("h2:has-text('Programm')")
    assert "Vorschau" in page.inner_text(".preview-banner")
    page.click("text=Zurück zur Bearbeitung")
    page.click("button:has-text('Veröffentlichen')")
    page.wait_for_selector("text=Der Beitrag wurde veröffentlicht.")
    post = Post.objects.get()
    assert post.status == Post.Status.PUBLISHED and post.published_by == editor
    services.translation_save(
        actor=editor,
        post=post,
        language="ar",
        title="دورات تدريبية جديدة",
        teaser="حماية الطفل واللغة.",
        image_alt="برج من مكعبات البناء",
    )

    # A visitor without an account.
    page.context.clear_cookies()
    page.goto(f"{base}/news/")
    page.screenshot(path="/tmp/news-index.png", full_page=True)
    page.click("text=Neue Fortbildungen im Frühjahr")
    assert page.inner_text("h1") == "Neue Fortbildungen im Frühjahr"
    assert page.locator("article img").get_attribute("alt") == "Ein Turm aus Bauklötzen"
    assert page.evaluate("document.querySelector('article img').naturalWidth") == 480
    assert _serious(Axe().run(page)) == []
    page.screenshot(path="/tmp/news-detail.png", full_page=True)
    page.click("a[hreflang=ar]")
    assert page.locator("article").get_attribute("dir") == "rtl"
    page.screenshot(path="/tmp/news-detail-ar.png", full_page=True)

    # Keyboard: the subscription form is reachable and labelled.
    page.focus("input[name=email]")
    page.keyboard.type("leser@example.org")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Bitte bestätigen Sie Ihre E-Mail-Adresse")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/news/o/{association.slug}/")
    assert _serious(Axe().run(page)) == []
    page.screenshot(path="/tmp/news-organisation-phone.png", full_page=True)
    page.goto(f"{base}/")
    assert "Neue Fortbildungen im Frühjahr" in page.inner_text("main")
    page.screenshot(path="/tmp/news-home-phone.png", full_page=True)
