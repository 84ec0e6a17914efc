"""Root URLs. Each app adds its own module here as it grows pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from iwms import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("incidents.urls")),
]

admin.site.site_header = "IWMS administration"
admin.site.site_title = "IWMS admin"
