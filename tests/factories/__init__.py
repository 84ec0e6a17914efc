"""factory_boy factories; one module per app, re-exported here."""

from tests.factories.arc import AccountabilityRuleFactory, DelegationFactory, RoleGrantFactory
from tests.factories.kernel import OrganisationFactory, UserFactory
from tests.factories.organogram import (
    OrgUnitFactory,
    PositionAssignmentFactory,
    PositionFactory,
    ShiftFactory,
    SmallOrg,
    build_small_org,
)

__all__ = [
    "AccountabilityRuleFactory",
    "DelegationFactory",
    "OrgUnitFactory",
    "OrganisationFactory",
    "PositionAssignmentFactory",
    "PositionFactory",
    "RoleGrantFactory",
    "ShiftFactory",
    "SmallOrg",
    "UserFactory",
    "build_small_org",
]
