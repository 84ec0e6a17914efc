"""Choices of organogram governance: structure changes, HR events and verification rows."""

from django.db import models


class StructureChangeKind(models.TextChoices):
    ADD_POSITION = "add_position", "add a position"
    MOVE_POSITION = "move_position", "change a reporting line"
    RETIRE_POSITION = "retire_position", "retire a position"
    ASSIGN = "assign", "assign a person"
    ACTING = "acting", "acting appointment"
    END_ASSIGNMENT = "end_assignment", "end an assignment"


class HrEventKind(models.TextChoices):
    HIRE = "hire", "hire"
    TRANSFER = "transfer", "transfer"
    PROMOTION = "promotion", "promotion or role change"
    TERMINATION = "termination", "termination"


class HrEventStatus(models.TextChoices):
    APPLIED = "applied", "applied"
    MISMATCH = "mismatch", "kept as a mismatch"


class RowVerdict(models.TextChoices):
    CONFIRMED = "confirmed", "confirmed"
    CHANGED = "changed", "corrected"
