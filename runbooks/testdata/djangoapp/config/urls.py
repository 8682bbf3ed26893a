"""URL routes of the test project."""
from django.contrib import admin
from django.urls import path

from shop.views import healthz, home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
