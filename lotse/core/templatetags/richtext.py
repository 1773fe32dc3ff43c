from django import template
from django.utils.safestring import SafeString

from lotse.core.richtext import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(value: str) -> SafeString:
    """``{{ page.body|markdown }}``: Markdown rendered and sanitised (lotse.core.richtext)."""
    return render_markdown(value)
