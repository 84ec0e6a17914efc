from django.apps import AppConfig


class ArcConfig(AppConfig):
    name = "arc"
    verbose_name = "ARC (accountability and responsibility)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from arc.models import AccountabilityRule
        from organogram import generation

        generation.tracked([AccountabilityRule])  # who owns what is derived from the rules too
