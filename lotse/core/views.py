from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lotse.accounts.selectors import memberships_of, user_roles
from lotse.directory.selectors import directory_overview

from .dashboard import dashboard_links_for


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"overview": directory_overview()})


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    memberships = memberships_of(request.user)
    return render(
        request,
        "core/dashboard.html",
        {
            "memberships": memberships,
            "roles": user_roles(request.user),
            "links": dashboard_links_for(request.user),
        },
    )


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


def about_data(request: HttpRequest) -> HttpResponse:
    return render(request, "core/about_data.html")


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")
