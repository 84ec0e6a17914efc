"""Root URLs. Each app adds its own module here as it grows pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from iwms import views
from iwms.login import LoginView

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # One sign-in page for everyone, so throttling, auditing and two-factor cover the admin too.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("incidents.api.urls")),
    path("", include("incidents.integrations.urls")),
    path("", include("arc.urls")),
    path("", include("incidents.urls_portal")),
    path("", include("incidents.urls")),
    path("", include("incidents.governance.urls")),
    path("", include("incidents.response.urls")),
    path("", include("incidents.problems.urls")),
    path("", include("incidents.assurance.urls")),
]

admin.site.site_header = "IWMS administration"
admin.site.site_title = "IWMS admin"
