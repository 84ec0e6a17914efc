from django.apps import AppConfig


class ArcConfig(AppConfig):
    name = "arc"
    verbose_name = "ARC (accountability and responsibility)"
    default_auto_field = "django.db.models.BigAutoField"
