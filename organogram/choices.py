"""Choices of the organogram."""

from django.db import models


class UnitKind(models.TextChoices):
    ORGANISATION = "organisation", "organisation"
    DIVISION = "division", "division"
    DEPARTMENT = "department", "department"
    SECTION = "section", "section"
    TEAM = "team", "team"


class AssignmentKind(models.TextChoices):
    SUBSTANTIVE = "substantive", "substantive"
    ACTING = "acting", "acting"
