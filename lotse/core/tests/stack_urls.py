"""Lotse's URLs plus ``/__fail__``, a view that raises (the 500 page must show no traceback)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from lotse.urls import urlpatterns as lotse_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("SECRET-INTERNAL-DETAIL: the stack test's deliberate failure")


urlpatterns = [path("__fail__", fail), *lotse_urlpatterns]
