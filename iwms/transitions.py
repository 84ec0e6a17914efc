"""The one way a governed state changes: `run_transition`.

It opens a transaction, re-reads the row with `select_for_update` (so concurrent attempts
queue and the loser sees the new state — django-fsm #46), checks the transition's source
state, conditions and permission, runs it, saves, and appends the audit event; all or
nothing. A refusal raises `PolicyError` and is audited. Side effects belong in
`on_commit` callbacks passed by the caller, which receive ids, never objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models, transaction
from django_fsm import can_proceed, has_transition_perm

from iwms.audit import record_event
from iwms.choices import AuditAction
from iwms.errors import PolicyError
from iwms.refusals import audited_refusals

M = TypeVar("M", bound=models.Model)


def condition(reason: str) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """Give a transition condition a human reason, shown when the transition is refused."""

    def decorate(func: Callable[[Any], bool]) -> Callable[[Any], bool]:
        func.reason = reason  # type: ignore[attr-defined]
        return func

    return decorate


def _fsm_meta(bound_method: Any) -> Any:
    meta = getattr(bound_method, "_django_fsm", None)
    if meta is None:
        raise TypeError(f"{bound_method.__name__} is not a django-fsm transition")
    return meta


def unmet_conditions(instance: models.Model, transition_name: str) -> list[str]:
    """The reasons of the conditions that block `transition_name` now (for greyed-out buttons)."""
    method = getattr(instance, transition_name)
    meta = _fsm_meta(method)
    spec = meta.get_transition(meta.field.get_state(instance))
    if spec is None:
        return [f"Not possible while the state is {meta.field.get_state(instance)}."]
    return [getattr(cond, "reason", cond.__name__.replace("_", " ")) for cond in spec.conditions if not cond(instance)]


def run_transition(
    instance: M,
    transition_name: str,
    *,
    actor: Any,
    action: str = AuditAction.TRANSITION,
    message: str = "",
    extra_changes: dict[str, Any] | None = None,
    on_commit: Callable[[], None] | None = None,
    **transition_kwargs: Any,
) -> M:
    """Run `transition_name` on a fresh, locked copy of `instance`; return that copy."""
    model = type(instance)
    with audited_refusals(actor=actor), transaction.atomic():
        locked = model._base_manager.select_for_update().get(pk=instance.pk)
        method = getattr(locked, transition_name)
        meta = _fsm_meta(method)
        field_name = meta.field.name
        source = meta.field.get_state(locked)
        tenant = getattr(locked, "organisation", None)
        refusal_context = {
            "object_type": locked._meta.label_lower,
            "object_id": str(locked.pk),
            "transition": transition_name,
            "state": source,
        }
        if not can_proceed(method, check_conditions=False):
            state_label = dict(locked._meta.get_field(field_name).flatchoices).get(source, source)
            raise PolicyError(
                "transition.not_allowed",
                f"{locked._meta.verbose_name.capitalize()} cannot "
                f"{transition_name.replace('_', ' ')} while it is {state_label}.",
                tenant=tenant,
                **refusal_context,
            )
        reasons = unmet_conditions(locked, transition_name)
        if reasons:
            raise PolicyError(
                "transition.not_allowed", " ".join(reasons), tenant=tenant, reasons=reasons, **refusal_context
            )
        if actor is not None and not isinstance(actor, str) and not has_transition_perm(method, actor):
            raise PolicyError(
                "transition.forbidden",
                f"You may not {transition_name.replace('_', ' ')} this {locked._meta.verbose_name}.",
                tenant=tenant,
                **refusal_context,
            )
        method(**transition_kwargs)
        locked.save()
        target = meta.field.get_state(locked)
        record_event(
            tenant=locked.organisation_id,
            action=action,
            actor=actor,
            obj=locked,
            message=message,
            changes={field_name: [source, target], **(extra_changes or {})},
        )
        if on_commit is not None:
            transaction.on_commit(on_commit)
    return locked
