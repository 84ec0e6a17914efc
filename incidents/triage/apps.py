from django.apps import AppConfig


class TriageConfig(AppConfig):
    """Triage and breach post-mortems: the triage matrix, the triager's recorded choice, manager
    approval of high-impact re-prioritisation, decision trees per category, breach reviews."""

    name = "incidents.triage"
    label = "triage"
    verbose_name = "Triage"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A severity change after triage is held to the triage rules inside the one severity path
        # (`incidents.sla.services.clock_changes.change_severity`), through its guard seam.
        from incidents.sla.services import clock_changes
        from incidents.triage.services.reprioritisation import guard_severity_change

        if guard_severity_change not in clock_changes.SEVERITY_CHANGE_GUARDS:
            clock_changes.SEVERITY_CHANGE_GUARDS.append(guard_severity_change)
