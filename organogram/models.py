"""Organogram models. Structure changes go through `organogram.services`; reads that walk
the hierarchy live in `organogram.hierarchy`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords
from tree_queries.fields import TreeNodeForeignKey
from tree_queries.models import TreeNode
from tree_queries.query import TreeQuerySet

from iwms.models import TenantScopedModel
from organogram.choices import AssignmentKind, UnitKind


class TenantTreeQuerySet(TreeQuerySet):
    def for_tenant(self, tenant: object) -> TenantTreeQuerySet:
        tenant_id = tenant if isinstance(tenant, int) else tenant.pk
        return self.filter(organisation_id=tenant_id)


class OrgUnit(TenantScopedModel, TreeNode):
    """A unit of the organisation (division, department, section, team); a tree per tenant."""

    parent = TreeNodeForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="parent unit"
    )
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=UnitKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TenantTreeQuerySet.as_manager(with_tree_fields=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "org unit"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="orgunit_unique_code"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="orgunit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Shift(TenantScopedModel):
    """A working shift of a unit (e.g. Shift A 06:00–18:00)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="shifts")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["unit__name", "starts_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="shift_unique_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_at:%H:%M}–{self.ends_at:%H:%M})"


class Position(TenantScopedModel, TreeNode):
    """A post in the organogram. `parent` is the position it reports to; a root position is
    the top of the hierarchy. People hold positions through `PositionAssignment`."""

    parent = TreeNodeForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="reports to"
    )
    code = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="positions")
    is_unit_head = models.BooleanField(
        default=False, help_text="Heads its unit (a department head when the unit is a department)."
    )
    shift = models.ForeignKey(Shift, on_delete=models.PROTECT, null=True, blank=True, related_name="positions")
    is_active = models.BooleanField(default=True, help_text="False once the role has been abolished.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TenantTreeQuerySet.as_manager(with_tree_fields=False)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="position_unique_code"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_unit_head=True, is_active=True), name="position_one_head_per_unit"
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="position_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def reports_to(self) -> Position | None:
        return self.parent


class PositionAssignment(TenantScopedModel):
    """A person holding a position from `starts_at` until `ends_at` (open while null).

    Rows are ended, never overwritten or deleted, so "who held this position on date X"
    stays answerable. A position has at most one open substantive and one open acting holder.
    """

    position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="assignments")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    kind = models.CharField(max_length=16, choices=AssignmentKind.choices, default=AssignmentKind.SUBSTANTIVE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="assignment_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["position", "kind"], condition=Q(ends_at__isnull=True), name="assignment_one_open_per_kind"
            ),
        ]
        indexes = [
            models.Index(fields=["person", "ends_at"], name="assignment_person_idx"),
            models.Index(fields=["position", "starts_at", "ends_at"], name="assignment_position_time_idx"),
        ]

    def __str__(self) -> str:
        until = f" until {self.ends_at:%Y-%m-%d}" if self.ends_at else ""
        return f"{self.person} as {self.position} ({self.kind}) from {self.starts_at:%Y-%m-%d}{until}"


class Generation(models.Model):
    """A token that changes with every change to a tenant's organogram or accountability
    rules (`organogram.generation`): what is derived from the structure may be kept while the
    token is the same. A fresh random value each time, not a counter, so a change that was
    rolled back can never be mistaken for a later one that committed."""

    organisation = models.OneToOneField(
        "iwms.Organisation", on_delete=models.CASCADE, primary_key=True, related_name="organogram_generation"
    )
    token = models.UUIDField()
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"organogram generation of {self.organisation_id}: {self.token}"
