"""Resolving the accountable position (the owner) for an item from the accountability rules."""

from __future__ import annotations

from dataclasses import dataclass

from arc.models import AccountabilityRule
from iwms.errors import PolicyError
from organogram.hierarchy import ancestor_ids
from organogram.models import OrgUnit, Position


def category_covers(rule_code: str, category_code: str) -> bool:
    """A rule for "SAF.GEO" covers "SAF.GEO" and "SAF.GEO.FOG", not "SAF.GEOX"."""
    if not rule_code:
        return True
    return category_code == rule_code or category_code.startswith(rule_code + ".")


@dataclass(frozen=True)
class Accountability:
    position: Position
    rule: AccountabilityRule

    @property
    def explanation(self) -> str:
        return f"Rule “{self.rule}” (the most specific rule for this unit, category and kind)."


def resolve_accountable_position(*, unit: OrgUnit, kind: str = "", category_code: str = "") -> Accountability:
    """The most specific active rule wins: nearest unit first, then the longest category code,
    then a rule naming the kind over one for any kind."""
    # Nearness: 0 for the unit itself, 1 for its parent, ...; higher rank = more specific.
    chain = [unit.pk, *ancestor_ids(OrgUnit, unit.pk)]
    units = {pk: len(chain) - index for index, pk in enumerate(chain)}
    candidates = AccountabilityRule.objects.filter(
        organisation_id=unit.organisation_id, unit_id__in=units, is_active=True
    ).select_related("accountable_position__unit", "unit")
    matching = [
        rule
        for rule in candidates
        if rule.kind in ("", kind)
        and category_covers(rule.category_code, category_code)
        and rule.accountable_position.is_active
    ]
    if not matching:
        raise PolicyError(
            "arc.no_accountability_rule",
            f"No accountability rule covers {kind or 'this item'} / {category_code or 'any category'} in {unit}.",
            tenant=unit.organisation,
            object_type="organogram.orgunit",
            object_id=str(unit.pk),
        )
    best = max(matching, key=lambda r: (units[r.unit_id], len(r.category_code), bool(r.kind)))
    return Accountability(best.accountable_position, best)
