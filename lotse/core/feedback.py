"""How a view shows a service's ``ValidationError``: the ONE place for it.

Services raise ``django.core.exceptions.ValidationError`` with translated messages (per field
where a field is at fault). Views either attach them to the form that was submitted
(:func:`form_add_errors`, then :func:`render_form` answers 422) or, for buttons without a form,
show them as a message on the next page (:func:`message_errors`, or :func:`run_button` for the
whole try/except/success of a button).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def form_add_errors(
    form: forms.BaseForm, exc: ValidationError, rename: Mapping[str, str] | None = None
) -> None:
    """Attach the error to the form: to its field where the form has it, else to the form.

    ``rename`` maps a service's argument name to the form field that holds it."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            field = (rename or {}).get(key, key)
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


def message_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Show the error as one message on the next page (a button that has no form)."""
    messages.error(request, " ".join(exc.messages))


def run_button(request: HttpRequest, action: Callable[[], object], *, success: str) -> bool:
    """Run a service behind a button (no form): its ValidationError becomes a message on the
    next page, else ``success`` does. Returns whether the service succeeded."""
    try:
        action()
    except ValidationError as exc:
        message_errors(request, exc)
        return False
    messages.success(request, success)
    return True


def confirmed(request: HttpRequest) -> bool:
    """An irreversible answer counts only from its confirmation page (the ``confirm`` field),
    never from a stray POST of a single button or an old form."""
    return request.method == "POST" and request.POST.get("confirm") == "yes"


def form_status(form: forms.BaseForm) -> int:
    """422 for a submitted form with errors (so tests and scripts see the failure), else 200."""
    return 422 if form.is_bound and form.errors else 200


def render_form(
    request: HttpRequest, template: str, context: dict[str, Any], form: forms.BaseForm
) -> HttpResponse:
    """Render a page with its form, answering 422 while the form has errors."""
    return render(request, template, {**context, "form": form}, status=form_status(form))
