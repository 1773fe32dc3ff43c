from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .dashboard import dashboard_context_for, dashboard_links_for, home_context


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", home_context())


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    context = dashboard_context_for(request.user)
    return render(
        request, "core/dashboard.html", {**context, "links": dashboard_links_for(request.user)}
    )


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html")


def about_data(request: HttpRequest) -> HttpResponse:
    return render(request, "core/about_data.html")
