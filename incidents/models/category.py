"""The tenant's category tree: incidents are classified by selecting a category, never by
typing one, so analytics stay comparable (seed 000 §5, §13)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords
from tree_queries.fields import TreeNodeForeignKey
from tree_queries.models import TreeNode

from incidents.choices import RiskLevel, Severity
from iwms.errors import PolicyError
from iwms.models import TenantScopedModel
from organogram.models import Position, TenantTreeQuerySet

GOVERNED_FIELDS = ("code", "name")


class Category(TenantScopedModel, TreeNode):
    """A node of the tenant's category tree. `code` is stable and dotted ("SAF.GEO.FOG"), so
    accountability rules and analytics can name a subtree by prefix. Its name and code change
    only through the category-governance workflow; any other save that changes them is refused."""

    parent = TreeNodeForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name="parent"
    )
    code = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    keywords = models.TextField(blank=True, help_text="Words that suggest this category, comma separated.")
    default_severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.SEV3)
    default_risk = models.CharField(max_length=16, choices=RiskLevel.choices, default=RiskLevel.MEDIUM)
    workflow_template_code = models.CharField(
        max_length=100, blank=True, help_text="Code of the workflow template generated for incidents of this category."
    )
    sla_policy = models.ForeignKey(
        "incidents.SlaPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="categories",
        help_text="Blank: the tenant's default SLA policy.",
    )
    custodian_position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="custodian_of"
    )
    industry_template = models.CharField(max_length=50, blank=True, help_text="Industry template it was loaded from.")
    is_active = models.BooleanField(default=True)
    offered_to_reporters = models.BooleanField(
        default=True,
        help_text="False for categories that only the system or a drill uses: the report wizard does not offer them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = TenantTreeQuerySet.as_manager(with_tree_fields=False)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="category_unique_code"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @classmethod
    def from_db(cls, db: str | None, field_names: list[str], values: list[Any]) -> Category:
        instance = super().from_db(db, field_names, values)
        instance._governed_values = {name: getattr(instance, name) for name in GOVERNED_FIELDS if name in field_names}
        return instance

    def save(self, *args: Any, governed_change: bool = False, **kwargs: Any) -> None:
        """`governed_change=True` is passed only by the category-governance service."""
        loaded = getattr(self, "_governed_values", {})
        changed = [name for name, value in loaded.items() if getattr(self, name) != value]
        if changed and not governed_change:
            raise PolicyError(
                "category.governed_change",
                f"The {' and '.join(changed)} of category {loaded.get('code', self.code)} can only change through "
                "the category-governance workflow (risk assessment, change management, custodian approval).",
                tenant=self.organisation,
                object_type="incidents.category",
                object_id=str(self.pk),
                fields=changed,
            )
        super().save(*args, **kwargs)
        self._governed_values = {name: getattr(self, name) for name in GOVERNED_FIELDS}

    @property
    def keyword_list(self) -> list[str]:
        return [word.strip().lower() for word in self.keywords.split(",") if word.strip()]
