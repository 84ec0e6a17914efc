"""Keeping a category's decision tree: its custodian (or a tenant admin) writes it; it is
parsed before it is kept, and every version is in the ledger and the row's history."""

from __future__ import annotations

import hashlib

from django.db import transaction

from incidents.models import Category
from incidents.triage.models import DecisionTree
from incidents.triage.policy import may_keep_decision_tree
from incidents.triage.trees import TreeError, parse
from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.models import User
from iwms.refusals import audited_refusals


def save_tree(*, category: Category, actor: User, source: str) -> DecisionTree:
    with audited_refusals(actor=actor):
        decision = may_keep_decision_tree(actor, category)
        if not decision:
            raise PolicyError.on("access_denied", decision.reason, category)
        source = source.replace("\r\n", "\n").strip("\n")
        try:
            questions = parse(source)
        except TreeError as exc:
            raise PolicyError.on("validation.invalid", str(exc), category, field="source") from None
        with transaction.atomic():
            tree = DecisionTree.objects.select_for_update().filter(category=category).first()
            created = tree is None
            if created:
                tree = DecisionTree(organisation_id=category.organisation_id, category=category)
            tree.source = source
            tree.updated_by = actor
            tree.save()
            record_event(
                tenant=category.organisation_id,
                action=AuditAction.KB_UPDATE,
                actor=actor,
                obj=category,
                message=f"Decision tree of {category.code} {'written' if created else 'revised'}: "
                f"{len(questions)} question{'s' if len(questions) != 1 else ''}.",
                changes={"decision_tree_sha256": hashlib.sha256(source.encode()).hexdigest()},
            )
    return tree
