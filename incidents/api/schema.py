"""What the OpenAPI schema says of the API's authentication: a bearer API token."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "incidents.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration account's API token: `Authorization: Bearer iwms_…` (docs/api.md).",
        }
