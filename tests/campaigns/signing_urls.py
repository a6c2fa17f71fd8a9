"""The project's URLs plus a stand-in for the signing page (built on another branch), so links resolve."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path

from collect.urls import urlpatterns as project_urlpatterns


def sign_placeholder(request, token):
    return HttpResponse(f"sign {token}")


signing_patterns = ([path("sign/<str:token>/", sign_placeholder, name="sign")], "signing")
urlpatterns = [*project_urlpatterns, path("", include(signing_patterns))]
