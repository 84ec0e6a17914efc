from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "incidents.problems"
    label = "problems"
    verbose_name = "Problems and known errors"
    default_auto_field = "django.db.models.BigAutoField"
