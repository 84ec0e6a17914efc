"""URLs of the incidents app."""

from django.urls import path

from incidents.views import home

urlpatterns = [
    path("", home.home, name="home"),
]
