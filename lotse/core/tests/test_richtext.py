"""User-written Markdown becomes clean HTML: formatting and tables stay, active content goes."""

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from lotse.core.richtext import plain_text, render_markdown, validate_markdown


def test_formatting_links_and_tables_survive():
    html = render_markdown(
        "# Costs\n\nSee **§ 24** and [the city](https://www.flensburg.de).\n\n"
        "| Hours | Fee |\n|:---|---:|\n| 25 | 120,00 € |\n"
    )
    assert "<h2>Costs</h2>" in html  # the page title is the only h1
    assert "<strong>§ 24</strong>" in html
    assert 'href="https://www.flensburg.de"' in html and 'rel="noopener noreferrer"' in html
    assert "<table>" in html and '<td align="right">120,00 €</td>' in html


def test_scripts_event_handlers_and_javascript_links_are_removed():
    html = render_markdown(
        '<script>alert(1)</script>\n\n<p onclick="x()">hi</p>\n\n[click](javascript:alert(1))\n\n'
        '<img src="https://evil.example/x.png" onerror="alert(1)">\n\n<p style="color:red">s</p>'
    )
    for bad in ("<script", "onclick", "javascript:", "<img", "onerror", "style="):
        assert bad not in html, bad
    assert "hi" in html


def test_template_filter_and_plain_text():
    rendered = Template("{% load richtext %}{{ text|markdown }}").render(
        Context({"text": "*kursiv* <b>x</b>"})
    )
    assert "<em>kursiv</em>" in rendered
    assert plain_text("## Title\n\nSome *words*.") == "Title Some words."


def test_plain_text_keeps_characters():
    assert plain_text("Kita & Hort <3") == "Kita & Hort <3"


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        '<p onclick="x()">hi</p>',
        "[click](javascript:alert(1))",
        '<img src="x" onerror="alert(1)">',
        '<p style="color:red">s</p>',
        "x" * 50_001,
    ],
)
def test_validate_markdown_refuses_what_the_page_would_drop(text):
    with pytest.raises(ValidationError):
        validate_markdown(text)


def test_validate_markdown_accepts_ordinary_writing():
    validate_markdown(
        "# Titel\n\n**fett**, *kursiv*, [Link](https://example.org), <https://example.org>, "
        "[Mail](mailto:a@example.org)\n\n- eins\n- zwei\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )


def test_headings_never_skip_a_level_below_the_page_title():
    """``##`` right under the page's <h1> must not become <h3> (invalid outline, Nu checker)."""
    html = render_markdown("## Fees\n\ntext\n\n#### Detail\n\n# Part\n\n### Sub\n")
    assert "<h2>Fees</h2>" in html
    assert "<h3>Detail</h3>" in html
    assert "<h2>Part</h2>" in html and "<h3>Sub</h3>" in html
    assert "<h1>" not in html and "<h4>" not in html
