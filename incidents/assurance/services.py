"""Writes of the assurance app: a tenant's maturity weights, set by its tenant admins or the
platform admin, one ledger event per change (the KPI rollups are derived data, kept by
`assurance.rollups`)."""

from __future__ import annotations

from django.db import transaction

from incidents.assurance.models import MaturityWeights
from incidents.assurance.policy import may_set_maturity_weights
from iwms.audited_rows import delete_audited, save_audited
from iwms.models import User
from iwms.refusals import audited_refusals


def save_maturity_weights(*, obj: MaturityWeights, actor: User) -> MaturityWeights:
    """Add or change the tenant's weights: one ledger event with the deltas."""
    with audited_refusals(actor=actor), transaction.atomic():
        may_set_maturity_weights(actor, obj.organisation_id).enforce(obj)
        save_audited(obj=obj, actor=actor)
    return obj


def delete_maturity_weights(*, obj: MaturityWeights, actor: User) -> None:
    """Back to the default weights: the row goes, one ledger event names what it held."""
    with audited_refusals(actor=actor), transaction.atomic():
        may_set_maturity_weights(actor, obj.organisation_id).enforce(obj)
        delete_audited(obj=obj, actor=actor)
