"""The tenant admin's integrations pages: sources with their rules and tokens, webhooks with
their delivery log."""

from django.urls import path

from incidents.integrations import views

urlpatterns = [
    path("manage/integrations/", views.source_list, name="integrations_sources"),
    path("manage/integrations/sources/<int:source_id>/", views.source_detail, name="integrations_source"),
    path("manage/integrations/webhooks/", views.webhook_list, name="integrations_webhooks"),
]
