"""The one way Lotse turns text that people write (information pages, news) into HTML.

Markdown (with tables, so a fee table needs no code change) is rendered by Python-Markdown and
the result is cleaned by nh3 with an allow-list: raw HTML in the input is allowed only as far as
the allow-list goes, so a pasted ``<script>``, an ``onclick`` or a ``javascript:`` link never
reaches a page. Headings are shifted down one level because the page's own title is the ``<h1>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe
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
    """``#`` becomes ``<h2>``: the page title is the only ``<h1>`` (one per page, WCAG)."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            if element.tag in {"h1", "h2", "h3", "h4", "h5"}:
                element.tag = f"h{int(element.tag[1]) + 1}"


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
    return " ".join(nh3.clean(html, tags=set()).split())
