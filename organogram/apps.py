from django.apps import AppConfig


class OrganogramConfig(AppConfig):
    name = "organogram"
    verbose_name = "Organogram"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        from organogram import generation

        generation.tracked([*generation.STRUCTURE, get_user_model()])
