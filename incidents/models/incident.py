"""The incident: any governed item, with its three immutable anchors and its lifecycle."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords

from incidents.choices import (
    IncidentKind,
    IncidentStatus,
    PoleType,
    RiskLevel,
    Severity,
    Source,
    SystemReason,
    TimeSensitivity,
)
from incidents.models.category import Category
from iwms.errors import PolicyError
from iwms.models import TenantScopedModel
from organogram.models import OrgUnit, Position

# Set once at creation; no path may change them (seed 000 §4.1). The database refuses it too.
ANCHOR_FIELDS = ("source", "system_reason", "source_reference", "owner", "owner_position", "initial_responsible")

S = IncidentStatus


class Incident(FSMModelMixin, TenantScopedModel):
    """A governed item: an incident, work activity, high-risk operation, project work, change
    or other governed event. Status moves only through the transitions below, run by
    `iwms.transitions.run_transition`; the owner keeps accountability until closure."""

    # No index of its own: every index of the table below starts with it. Each index is one more
    # write per row on every sweep batch's next-clock update.
    organisation = models.ForeignKey("iwms.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False)
    reference = models.CharField(max_length=32, help_text="Human-readable, unique per tenant: INC-2026-000123.")
    kind = models.CharField(max_length=32, choices=IncidentKind.choices)
    # --- the three immutable anchors ---
    source = models.CharField(max_length=32, choices=Source.choices)
    system_reason = models.CharField(max_length=32, choices=SystemReason.choices, blank=True)
    source_reference = models.CharField(max_length=200, blank=True, help_text="The source system's own id.")
    # owner, responsible and reporter: no index of their own, every query of them is a tenant's
    # and the (organisation, person, …) indexes below serve it (one write less each per row).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_incidents", db_index=False
    )
    owner_position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="owned_incidents")
    initial_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="initial responsible person"
    )
    # --- who acts now ---
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="responsible_for",
        verbose_name="responsible person",
        db_index=False,
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_incidents",
        db_index=False,
    )
    # --- what and where ---
    title = models.CharField(max_length=200)
    narrative = models.TextField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="incidents")
    location = models.CharField(max_length=200)
    unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        db_index=False,
        help_text="Where it happened in the organisation; accountability is routed by it.",
    )
    risk_level = models.CharField(max_length=16, choices=RiskLevel.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    time_sensitivity = models.CharField(max_length=16, choices=TimeSensitivity.choices)
    occurred_at = models.DateTimeField()
    reported_at = models.DateTimeField()
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The incident this one was generated from (failure to complete, corrective, mismatch).",
    )
    status = FSMField(max_length=16, choices=IncidentStatus.choices, default=S.OPEN, protected=True)
    ack_due_at = models.DateTimeField(null=True, blank=True, help_text="Acknowledge by (SLA).")
    contain_due_at = models.DateTimeField(null=True, blank=True, help_text="Contain by (SLA).")
    resolve_due_at = models.DateTimeField(null=True, blank=True, help_text="Resolve by (SLA).")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    contained_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Marked contained by the responsible person or the owner; the contain clock stops.",
    )
    clock_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the current clock cycle started: blank for the first (the report time), the reopen time after.",
    )
    clocks_paused_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The contain and resolve clocks stopped here when the work was submitted (half-closed, pending "
        "closure); corrections restart them with the time that was left.",
    )
    decision_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Pending closure since: the closure decision's clock runs from here."
    )
    decision_due_at = models.DateTimeField(null=True, blank=True, help_text="Decide on closure by (SLA).")
    next_clock_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The earliest warning or deadline the SLA sweep has still to act on; blank when none is left.",
    )
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="How far up the organogram it has escalated (0: not escalated)."
    )
    reopened_count = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    immutable_fields = ANCHOR_FIELDS

    class Meta:
        ordering = ["-reported_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="incident_unique_reference"),
            models.CheckConstraint(
                condition=(Q(source=Source.SYSTEM) & ~Q(system_reason=""))
                | (~Q(source=Source.SYSTEM) & Q(system_reason="")),
                name="incident_system_reason_iff_system_source",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "reported_at"], name="incident_status_idx"),
            models.Index(fields=["organisation", "responsible", "status"], name="incident_responsible_idx"),
            models.Index(fields=["organisation", "owner", "status"], name="incident_owner_idx"),
            models.Index(fields=["organisation", "reporter", "reported_at"], name="incident_reporter_idx"),
            # In the sweep's order (next clock, then id): a batch reads its rows off the index and
            # stops, even when thousands fall due at the same moment.
            models.Index(
                fields=["next_clock_at", "id"], condition=Q(next_clock_at__isnull=False), name="incident_next_clock_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def from_db(cls, db: str | None, field_names: list[str], values: list[Any]) -> Incident:
        instance = super().from_db(db, field_names, values)
        instance._anchor_values = {
            name: getattr(instance, attname) for name, attname in _anchor_attnames() if attname in field_names
        }
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        loaded = getattr(self, "_anchor_values", {})
        attnames = dict(_anchor_attnames())
        changed = [n for n, v in loaded.items() if getattr(self, attnames[n]) != v]
        if changed:
            raise PolicyError(
                "anchor.immutable",
                f"The {', '.join(changed)} of {self.reference} cannot change after creation.",
                tenant=self.organisation,
                object_type="incidents.incident",
                object_id=str(self.pk),
                fields=changed,
            )
        super().save(*args, **kwargs)

    # --- lifecycle (DESIGN.md "The incident"); conditions arrive with the workflow issues ---

    @transition(field=status, source=S.OPEN, target=S.IN_PROGRESS)
    def acknowledge(self, *, at: Any = None) -> None:
        """The responsible person takes it on."""
        self.acknowledged_at = at

    @transition(field=status, source=S.IN_PROGRESS, target=S.HALF_CLOSED)
    def submit_for_review(self, *, at: Any = None) -> None:
        """The responsible person clicks Complete; the automated review runs. The contain and
        resolve clocks stop: the work is out of the responsible person's hands."""
        self.clocks_paused_at = at or timezone.now()

    @transition(field=status, source=S.HALF_CLOSED, target=S.IN_PROGRESS)
    def require_corrections(self, *, at: Any = None) -> None:
        """The review found something to correct: the clocks run again (`resume_clocks`)."""
        self.resume_clocks(at or timezone.now())

    @transition(field=status, source=S.HALF_CLOSED, target=S.PENDING_CLOSURE)
    def accept_review(self, *, at: Any = None, decision_due_at: Any = None) -> None:
        """The review is satisfied; the supervisor decides next, by `decision_due_at`."""
        self.decision_started_at = at or timezone.now()
        self.decision_due_at = decision_due_at

    @transition(field=status, source=S.PENDING_CLOSURE, target=S.CLOSED)
    def approve_closure(self, *, at: Any) -> None:
        self.closed_at = at
        self.decision_started_at = self.decision_due_at = None

    @transition(field=status, source=S.PENDING_CLOSURE, target=S.IN_PROGRESS)
    def reject_closure(self, *, at: Any = None) -> None:
        """Rejected, or more evidence requested: the decision clock stops, the others run again."""
        self.resume_clocks(at or timezone.now())

    @transition(field=status, source=S.CLOSED, target=S.IN_PROGRESS)
    def reopen(self, *, at: Any = None, deadlines: Any = None) -> None:
        """Only through the reopen service: reason, elevated approver, lineage kept. A new
        clock cycle starts: fresh deadlines from now (`deadlines`, an `incidents.sla.Deadlines`),
        not contained, not escalated; the earlier cycle's breaches, warnings and escalations stay
        on record and its own start afresh (they are unique per incident, cycle and clock)."""
        at = at or timezone.now()
        self.closed_at = None
        self.reopened_count += 1
        self.clock_started_at = at
        self.contained_at = None
        self.clocks_paused_at = None
        self.decision_started_at = self.decision_due_at = None
        self.escalation_level = 0
        if deadlines is not None:
            self.ack_due_at = deadlines.ack_due_at
            self.contain_due_at = deadlines.contain_due_at
            self.resolve_due_at = deadlines.resolve_due_at

    @transition(field=status, source=[S.OPEN, S.IN_PROGRESS, S.HALF_CLOSED, S.PENDING_CLOSURE], target=S.MERGED)
    def merge_into(self) -> None:
        """Only through the merge service (`incidents.controls`): folded into a surviving primary,
        its anchors and ledger untouched; no clock of its own runs any more."""
        self.next_clock_at = None

    @transition(
        field=status,
        source=S.MERGED,
        target=RETURN_VALUE(S.OPEN, S.IN_PROGRESS, S.HALF_CLOSED, S.PENDING_CLOSURE),
    )
    def unmerge(self, *, restore: str) -> str:
        """Only through the un-merge service: back to the status it had when it was merged."""
        return restore

    # --- clocks (the columns the SLA sweep reads; `incidents.services.clocks` turns them into clocks) ---

    @property
    def clock_cycle(self) -> int:
        """Which clock cycle runs: 0 until the first reopen, then one more per reopen."""
        return self.reopened_count

    @property
    def clock_start(self) -> Any:
        """When the current clock cycle started."""
        return self.clock_started_at or self.reported_at

    def resume_clocks(self, at: Any) -> None:
        """Back to in progress after a submission: the contain (when not contained) and resolve
        clocks run again with the time they had left when they stopped; a deadline already
        passed when they stopped stays where it was (its breach is recorded once). The
        closure decision's clock stops."""
        paused = self.clocks_paused_at
        if paused is not None:
            for name in ("contain_due_at", "resolve_due_at"):
                due = getattr(self, name)
                if name == "contain_due_at" and self.contained_at is not None:
                    continue
                if due is not None and due > paused:
                    setattr(self, name, due + (at - paused))
        self.clocks_paused_at = None
        self.decision_started_at = self.decision_due_at = None


@functools.cache
def _anchor_attnames() -> tuple[tuple[str, str], ...]:
    """(field name, column attribute) of each anchor: read for every incident loaded."""
    return tuple((name, Incident._meta.get_field(name).attname) for name in ANCHOR_FIELDS)


class PoleEntity(TenantScopedModel):
    """A person, object, location or event involved in an incident (POLE). A person may be a
    user of the tenant or a named outsider."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="pole_entities")
    type = models.CharField(max_length=16, choices=PoleType.choices)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True, help_text="e.g. injured person, witness, vehicle involved")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["incident_id", "type", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(type=PoleType.PERSON), name="pole_user_only_for_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()}: {self.name}"


class ReferenceCounter(TenantScopedModel):
    """The last number issued per tenant, prefix and year: references never repeat or skip
    under concurrency (the row is locked while a number is taken)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation_id", "prefix", "year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "prefix", "year"], name="reference_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"
