from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lotse.accounts.models import Organisation, User
from lotse.core.uploads import UploadField
from lotse.directory.models import District

from . import selectors
from .models import POST_LANGUAGES, TEASER_MAX, TITLE_MAX, File, Post, Topic
from .services import FILE_POLICY, IMAGE_POLICY, FileData, PostData

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class PostForm(forms.Form):
    """Writing a post. The lengths are checked here and again by the service and the
    database, so a 10,000-character title gets a clear message, never an error page."""

    organisation = forms.TypedChoiceField(label=_("Published by"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    teaser = forms.CharField(
        label=_("Teaser"),
        max_length=TEASER_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One or two sentences shown in lists, feeds and e-mails."),
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Markdown: **bold**, *italic*, ## heading, - list, [link text](https://…). "
            "HTML is not accepted."
        ),
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=POST_LANGUAGES)
    audience = forms.ChoiceField(label=_("Written for"), choices=Post.Audience.choices)
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=Topic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    district = forms.TypedChoiceField(
        label=_("District"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Empty: the post concerns the whole municipality."),
    )
    image = UploadField(
        policy=IMAGE_POLICY,
        label=_("Image"),
        required=False,
        help_text=_("PNG or JPEG, up to 5 MB. Location and camera data are removed."),
    )
    image_alt = forms.CharField(
        label=_("Image description (alternative text)"),
        max_length=300,
        required=False,
        help_text=_("What the image shows, for people who cannot see it. Required with an image."),
    )
    image_credit = forms.CharField(label=_("Image credit"), max_length=200, required=False)
    remove_image = forms.BooleanField(label=_("Remove the image"), required=False)
    event = forms.TypedChoiceField(
        label=_("Points to an event"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The post shows its dates and the registration button."),
    )
    call = forms.TypedChoiceField(
        label=_("Points to a programme call"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The post shows the deadline and the button to apply."),
    )
    network = forms.TypedChoiceField(
        label=_("Concerns a network"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, user: User, post: Post | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.post = post
        self.fields["organisation"].choices = [
            (o.pk, o.name) for o in selectors.editor_organisations(user)
        ]
        if post is not None:
            # The publishing organisation of an existing post is fixed.
            del self.fields["organisation"]
        else:
            del self.fields["remove_image"]
        self.fields["district"].choices = [
            ("", _("Whole municipality")),
            *District.objects.order_by("name").values_list("pk", "name"),
        ]
        self.fields["event"].choices = [
            ("", _("None")),
            *((e.pk, f"{e.title} ({e.organiser.name})") for e in selectors.linkable_events()),
        ]
        self.fields["call"].choices = [
            ("", _("None")),
            *((c.pk, c.title) for c in selectors.linkable_calls()),
        ]
        self.fields["network"].choices = [
            ("", _("None")),
            *((n.pk, n.organisation.name) for n in selectors.linkable_networks()),
        ]

    @staticmethod
    def initial_for(post: Post) -> dict[str, Any]:
        return {
            "title": post.title,
            "teaser": post.teaser,
            "body": post.body,
            "language": post.language,
            "audience": post.audience,
            "topics": [t.topic for t in post.topics.all()],
            "district": post.district_id,
            "image_alt": post.image_alt,
            "image_credit": post.image_credit,
            "event": post.event_id,
            "call": post.call_id,
            "network": post.network_id,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("event") and data.get("call"):
            raise forms.ValidationError(
                _("A post can point to an event or to a programme call, not to both.")
            )
        has_image = bool(data.get("image")) or (
            self.post is not None and bool(self.post.image) and not data.get("remove_image")
        )
        if has_image and not (data.get("image_alt") or "").strip():
            self.add_error("image_alt", _("Describe the image for people who cannot see it."))
        return data

    def selected_organisation(self) -> Organisation:
        return Organisation.objects.get(pk=self.cleaned_data["organisation"])

    def to_data(self) -> PostData:
        data = self.cleaned_data
        return PostData(
            title=data["title"],
            teaser=data["teaser"],
            body=data.get("body") or "",
            language=data["language"],
            audience=data["audience"],
            image_alt=data.get("image_alt") or "",
            image_credit=data.get("image_credit") or "",
            district_id=data.get("district"),
            event_id=data.get("event"),
            call_id=data.get("call"),
            network_id=data.get("network"),
            topics=tuple(data.get("topics") or ()),
        )


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publication time"),
        required=False,
        widget=DATETIME_WIDGET,
        input_formats=["%Y-%m-%dT%H:%M", "%d.%m.%Y %H:%M"],
        help_text=_("Empty: publish now. A later time schedules the post."),
    )

    def clean_publish_at(self) -> datetime | None:
        value = self.cleaned_data.get("publish_at")
        if value is not None and value < timezone.now() - timedelta(minutes=5):
            raise forms.ValidationError(
                _("The publication time lies in the past. Leave it empty for now.")
            )
        return value


class TranslationForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    teaser = forms.CharField(
        label=_("Teaser"), max_length=TEASER_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    body = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )
    image_alt = forms.CharField(
        label=_("Image description (alternative text)"), max_length=300, required=False
    )


class FileForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=File.Kind.choices)
    upload = UploadField(policy=FILE_POLICY, label=_("File"))
    is_documentation = forms.BooleanField(
        label=_("Part of the documentation (listed in the archive by year)"), required=False
    )
    documented_on = forms.DateField(
        label=_("Date of the documented occasion"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    consent_note = forms.CharField(
        label=_("Consent note"),
        max_length=300,
        required=False,
        help_text=_(
            "For photos of people: whose consent to publish was obtained, e.g. 'All people "
            "shown agreed in writing on 12.03.2026'."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == File.Kind.PHOTO and not (data.get("consent_note") or "").strip():
            self.add_error(
                "consent_note", _("Photos of people need a note on their consent to publication.")
            )
        return data

    def to_data(self) -> FileData:
        data = self.cleaned_data
        documented: date | None = data.get("documented_on")
        return FileData(
            title=data.get("title") or "",
            kind=data["kind"],
            is_documentation=bool(data.get("is_documentation")),
            documented_on=documented,
            consent_note=data.get("consent_note") or "",
        )


class EventFileForm(FileForm):
    event = forms.TypedChoiceField(label=_("Event"), coerce=int)

    field_order = ["event", "title", "kind", "upload", "documented_on", "consent_note"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_documentation"]
        self.fields["event"].choices = [(e.pk, e.title) for e in selectors.events_for_editor(user)]
