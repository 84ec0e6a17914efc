"""URLs of the scoped portal (auditors, regulators, external providers)."""

from django.urls import path

from incidents.access.views import portal, provider

urlpatterns = [
    path("portal/", portal.portal_home, name="portal"),
    path("portal/grants/<int:grant_id>/", portal.grant_incidents, name="portal_grant"),
    path("portal/grants/<int:grant_id>/chain/", portal.grant_chain, name="portal_chain"),
    path("portal/grants/<int:grant_id>/packs/", portal.pack_create, name="portal_pack_create"),
    path("portal/grants/<int:grant_id>/incidents/<str:reference>/", portal.grant_incident, name="portal_incident"),
    path(
        "portal/grants/<int:grant_id>/incidents/<str:reference>/evidence/<int:evidence_id>/",
        portal.grant_evidence,
        name="portal_evidence",
    ),
    path("portal/packs/<int:pack_id>/", portal.pack_status, name="portal_pack"),
    path("portal/packs/<int:pack_id>/download/", portal.pack_download, name="portal_pack_download"),
    path("portal/provider/", provider.provider_steps, name="portal_provider"),
    path("portal/provider/steps/<int:step_id>/", provider.provider_step, name="portal_provider_step"),
    path(
        "portal/provider/steps/<int:step_id>/complete/",
        provider.provider_step_complete,
        name="portal_provider_step_complete",
    ),
    path(
        "portal/provider/handoffs/<int:delegation_id>/decide/",
        provider.provider_handoff_decide,
        name="portal_provider_handoff_decide",
    ),
    path("portal/provider/evidence/<int:evidence_id>/", provider.provider_evidence, name="portal_provider_evidence"),
]
