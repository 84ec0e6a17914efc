from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "incidents.assurance"
    label = "assurance"
    verbose_name = "Assurance"
    default_auto_field = "django.db.models.BigAutoField"
