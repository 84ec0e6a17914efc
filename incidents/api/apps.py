from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "incidents.api"
    label = "api"
    verbose_name = "JSON API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from incidents.api import schema  # noqa: F401 - registers the token scheme with drf-spectacular
