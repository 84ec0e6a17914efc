from django.apps import AppConfig


class ControlsConfig(AppConfig):
    name = "incidents.controls"
    label = "controls"
    verbose_name = "Incident controls (merge, split)"
    default_auto_field = "django.db.models.BigAutoField"
