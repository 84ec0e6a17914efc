from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "incidents.governance"
    label = "governance"
    verbose_name = "Organogram governance"
    default_auto_field = "django.db.models.BigAutoField"
