"""URLs of the person's own account and of the tenant admin's security events."""

from django.urls import path

from arc import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/notifications/", views.notification_settings, name="notification_settings"),
    path("account/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("account/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("account/two-factor/recovery-codes/", views.new_recovery_codes, name="two_factor_recovery_codes"),
    path("manage/security/", views.security_events, name="security_events"),
]
