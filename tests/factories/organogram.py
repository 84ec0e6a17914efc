"""Factories for the organogram, and a small realistic organogram built through its services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import factory
from django.utils import timezone

from iwms.models import Organisation, User
from organogram.choices import AssignmentKind, UnitKind
from organogram.models import OrgUnit, Position, PositionAssignment, Shift
from organogram.services import assign_person, create_position, create_shift, create_unit
from tests.factories.kernel import OrganisationFactory, UserFactory


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = UnitKind.DEPARTMENT
    parent = None


class ShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shift

    organisation = factory.SubFactory(OrganisationFactory)
    unit = factory.SubFactory(OrgUnitFactory, organisation=factory.SelfAttribute("..organisation"))
    code = factory.Sequence(lambda n: f"shift-{n}")
    name = factory.Sequence(lambda n: f"Shift {n}")
    starts_at = time(6, 0)
    ends_at = time(18, 0)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    organisation = factory.SubFactory(OrganisationFactory)
    unit = factory.SubFactory(OrgUnitFactory, organisation=factory.SelfAttribute("..organisation"))
    code = factory.Sequence(lambda n: f"position-{n}")
    title = factory.Sequence(lambda n: f"Position {n}")
    parent = None


class PositionAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PositionAssignment

    organisation = factory.SubFactory(OrganisationFactory)
    position = factory.SubFactory(PositionFactory, organisation=factory.SelfAttribute("..organisation"))
    person = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..organisation"))
    kind = AssignmentKind.SUBSTANTIVE
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=365))
    ends_at = None


# Everyone in the small organogram has held their position since this date.
ORG_SINCE = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SmallOrg:
    """A mine's organogram: the general manager at the top, the mining department's head,
    the Shift A supervisor and a miner on each shift. The Shift B supervisor position is
    vacant, so the Shift B miner's line is broken."""

    tenant: Organisation
    mine: OrgUnit
    mining: OrgUnit
    shaft: OrgUnit
    shift_a: Shift
    shift_b: Shift
    gm_position: Position
    head_position: Position
    supervisor_a_position: Position
    supervisor_b_position: Position
    miner_a_position: Position
    miner_b_position: Position
    gm: User
    head: User
    supervisor_a: User
    miner_a: User
    miner_b: User


def build_small_org(tenant: Organisation, *, since: datetime = ORG_SINCE) -> SmallOrg:
    """Build the organogram through the services (so each step is audited, as in production)."""
    prefix = tenant.slug
    mine = create_unit(tenant=tenant, code="mine", name="Kimberlite Mine", kind=UnitKind.ORGANISATION)
    mining = create_unit(tenant=tenant, code="mining", name="Mining", kind=UnitKind.DEPARTMENT, parent=mine)
    shaft = create_unit(tenant=tenant, code="shaft-2", name="Shaft 2", kind=UnitKind.SECTION, parent=mining)
    shift_a = create_shift(
        tenant=tenant, unit=shaft, code="shift-a", name="Shift A", starts_at=time(6, 0), ends_at=time(18, 0)
    )
    shift_b = create_shift(
        tenant=tenant, unit=shaft, code="shift-b", name="Shift B", starts_at=time(18, 0), ends_at=time(6, 0)
    )
    gm_position = create_position(tenant=tenant, code="gm", title="General Manager", unit=mine, is_unit_head=True)
    head_position = create_position(
        tenant=tenant,
        code="mining-manager",
        title="Mining Manager",
        unit=mining,
        reports_to=gm_position,
        is_unit_head=True,
    )
    supervisor_a_position = create_position(
        tenant=tenant,
        code="supervisor-a",
        title="Shift A Supervisor",
        unit=shaft,
        reports_to=head_position,
        shift=shift_a,
    )
    supervisor_b_position = create_position(
        tenant=tenant,
        code="supervisor-b",
        title="Shift B Supervisor",
        unit=shaft,
        reports_to=head_position,
        shift=shift_b,
    )
    miner_a_position = create_position(
        tenant=tenant,
        code="miner-a",
        title="Miner (Shift A)",
        unit=shaft,
        reports_to=supervisor_a_position,
        shift=shift_a,
    )
    miner_b_position = create_position(
        tenant=tenant,
        code="miner-b",
        title="Miner (Shift B)",
        unit=shaft,
        reports_to=supervisor_b_position,
        shift=shift_b,
    )
    people = {}
    for key, position in [
        ("gm", gm_position),
        ("head", head_position),
        ("supervisor_a", supervisor_a_position),
        ("miner_a", miner_a_position),
        ("miner_b", miner_b_position),
    ]:
        people[key] = UserFactory(organisation=tenant, username=f"{prefix}-{key.replace('_', '-')}")
        assign_person(position=position, person=people[key], starts_at=since)
    return SmallOrg(
        tenant=tenant,
        mine=mine,
        mining=mining,
        shaft=shaft,
        shift_a=shift_a,
        shift_b=shift_b,
        gm_position=gm_position,
        head_position=head_position,
        supervisor_a_position=supervisor_a_position,
        supervisor_b_position=supervisor_b_position,
        miner_a_position=miner_a_position,
        miner_b_position=miner_b_position,
        **people,
    )
