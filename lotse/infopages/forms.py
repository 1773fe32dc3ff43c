from django import forms
from django.utils.translation import gettext_lazy as _


class PageVersionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 24, "dir": "auto"}),
        help_text=_(
            "Markdown: ## heading, **bold**, - list, | table |, [link](https://…). "
            "Saving makes a new version; the public sees it only after you publish it."
        ),
    )
    note = forms.CharField(label=_("What changed (optional)"), max_length=200, required=False)


class FeedbackForm(forms.Form):
    message = forms.CharField(
        label=_("Which barrier did you meet?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text=_("For example: a page you could not read aloud, a button you could not reach."),
    )
    page_url = forms.CharField(label=_("Page concerned (optional)"), max_length=500, required=False)
    name = forms.CharField(label=_("Your name (optional)"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Your e-mail address (optional)"),
        required=False,
        help_text=_("If you give it, you get a confirmation and an answer."),
    )
