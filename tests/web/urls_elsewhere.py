"""A second URLconf for tests/web/test_templates.py: the work queue at another address."""

from django.http import HttpResponse
from django.urls import path

urlpatterns = [path("elsewhere/work/", lambda request: HttpResponse("x"), name="work")]
