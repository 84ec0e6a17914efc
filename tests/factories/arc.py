"""Factories for ARC: accountability rules, delegations and role grants."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from arc.choices import DelegationReason, DelegationScope, Role
from arc.models import AccountabilityRule, Delegation, RoleGrant
from tests.factories.kernel import OrganisationFactory, UserFactory
from tests.factories.organogram import OrgUnitFactory, PositionFactory


class AccountabilityRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountabilityRule

    organisation = factory.SubFactory(OrganisationFactory)
    unit = factory.SubFactory(OrgUnitFactory, organisation=factory.SelfAttribute("..organisation"))
    accountable_position = factory.SubFactory(
        PositionFactory, organisation=factory.SelfAttribute("..organisation"), unit=factory.SelfAttribute("..unit")
    )
    kind = ""
    category_code = ""


class DelegationFactory(factory.django.DjangoModelFactory):
    """A proposed delegation (the status changes only through transitions)."""

    class Meta:
        model = Delegation

    organisation = factory.SubFactory(OrganisationFactory)
    subject_type = "incidents.incident"
    subject_id = factory.Sequence(str)
    scope = DelegationScope.RESPONSIBILITY
    from_person = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    to_person = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    reason_code = DelegationReason.WORKLOAD
    handoff_note = "Barricade is up; the geotechnical engineer visits at 14:00."
    requires_acceptance = True


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    role = Role.AUDITOR
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    expires_at = None
