from django.apps import AppConfig


class ResponseConfig(AppConfig):
    """Major-incident response above `incidents`: response roles, notes, the response moments,
    communications and the post-incident review."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents.response"
    label = "response"
    verbose_name = "Major-incident response"

    def ready(self) -> None:
        from incidents.core import gates
        from incidents.response import gating

        gates.register("acknowledge", gating.commander_designated)
        gates.register("close", gating.review_in_place)
