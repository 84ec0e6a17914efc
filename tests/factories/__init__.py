"""factory_boy factories; one module per app, re-exported here."""

from tests.factories.kernel import OrganisationFactory, UserFactory

__all__ = ["OrganisationFactory", "UserFactory"]
