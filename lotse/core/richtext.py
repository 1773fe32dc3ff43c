"""The one way Lotse turns text that people write (information pages, news) into HTML.

Markdown (with tables, so a fee table needs no code change) is rendered by Python-Markdown and
the result is cleaned by nh3 with an allow-list: raw HTML in the input is allowed only as far as
the allow-list goes, so a pasted ``<script>``, an ``onclick`` or a ``javascript:`` link never
reaches a page. Headings are shifted down one level because the page's own title is the ``<h1>``.

``validate_markdown`` is for forms and services that store such text: rendering would silently
drop what the allow-list forbids, so the writer gets a clear message instead (a ``<script>``,
an event handler, a ``javascript:`` link, an over-long text) and nothing is stored.
"""

from __future__ import annotations

import html as html_lib
import xml.etree.ElementTree as etree
from html.parser import HTMLParser

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em", "h2",
    "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang", "lang"},
    "abbr": {"title"},
    "th": {"align", "scope"},
    "td": {"align"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "*": {"lang", "dir"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


class _ShiftHeadings(Treeprocessor):
    """``#`` becomes ``<h2>``: the page title is the only ``<h1>`` (one per page, WCAG). No
    level is skipped either (an author's ``##`` right under the title becomes ``<h2>``, not
    ``<h3>``): the outline stays valid HTML and screen readers do not announce missing levels.
    """

    def run(self, root: etree.Element) -> None:
        previous = 1  # the page's <h1>
        for element in root.iter():
            if element.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
                level = min(int(element.tag[1]) + 1, previous + 1, 6)
                element.tag = f"h{level}"
                previous = level


class _ShiftHeadingsExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - library API
        md.treeprocessors.register(_ShiftHeadings(md), "lotse_shift_headings", 5)


def render_markdown(text: str) -> SafeString:
    """Markdown → sanitised HTML, safe to put into a template as it is."""
    html = markdown.markdown(
        text or "",
        extensions=["tables", "sane_lists", "def_list", _ShiftHeadingsExtension()],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(clean)  # noqa: S308 - sanitised by nh3 above


def plain_text(text: str) -> str:
    """The words of a Markdown text without markup (search snippets, e-mail previews)."""
    html = markdown.markdown(text or "", extensions=["tables"])
    # nh3 escapes "&" and "<" in the text it keeps; plain text wants the characters.
    return " ".join(html_lib.unescape(nh3.clean(html, tags=set())).split())


#: Upper limit of a stored text (characters): long enough for a report, short of abuse.
MAX_LENGTH = 50_000


class _Forbidden(HTMLParser):
    """Collects what the sanitiser would drop: unknown tags, attributes, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.add(f"<{tag}>")
            return
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ALLOWED_ATTRIBUTES["*"]
        for name, value in attrs:
            if name not in allowed:
                self.found.add(f"{name}=")
            elif name == "href" and value and ":" in value.split("/", 1)[0]:
                scheme = value.split(":", 1)[0].strip().lower()
                if scheme not in URL_SCHEMES:
                    self.found.add(f"{scheme}:")


def validate_markdown(text: str, *, max_length: int = MAX_LENGTH) -> None:
    """Raise ``ValidationError`` if the text is too long or uses HTML the pages would drop."""
    if len(text or "") > max_length:
        raise ValidationError(
            _("The text is too long (%(length)s characters). The limit is %(limit)s."),
            code="too_long",
            params={"length": len(text), "limit": max_length},
        )
    parser = _Forbidden()
    extensions = ["tables", "sane_lists", "def_list", _ShiftHeadingsExtension()]
    parser.feed(markdown.markdown(text or "", extensions=extensions))
    parser.close()
    if parser.found:
        raise ValidationError(
            _(
                "The text contains HTML that is not allowed (%(found)s). Please use Markdown "
                "for formatting: **bold**, *italic*, [link](https://…), lists with -."
            ),
            code="html_not_allowed",
            params={"found": ", ".join(sorted(parser.found))},
        )
