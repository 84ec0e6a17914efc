from django.apps import AppConfig


class OrganogramConfig(AppConfig):
    name = "organogram"
    verbose_name = "Organogram"
    default_auto_field = "django.db.models.BigAutoField"
