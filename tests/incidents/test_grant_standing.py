"""Who may ask for a grant over a category subtree, and whether it covers incidents reported
later: an owner of incidents in it (all of them theirs), its category custodian or a tenant
admin; by default only the incidents that exist at issue, with later ones only when asked for
(an owner's own only) — shown to the tenant admin before issuing, honoured by the portal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.access.scope import covers, incidents_in
from incidents.access.services import grants
from incidents.choices import GrantStanding
from incidents.models import Category
from iwms.errors import PolicyError
from iwms.models import AuditEvent
from organogram.models import Position

pytestmark = pytest.mark.django_db


def ask(mine, people, actor: str, category, **extra):
    fields = dict(
        tenant=mine,
        actor=people[actor],
        grantee=people["auditor"],
        purpose="Group assurance review of ground control",
        expires_at=timezone.now() + timedelta(days=30),
        category=category,
    )
    fields.update(extra)
    return grants.request_grant(**fields)


@pytest.fixture
def geo(fall_of_ground):
    return fall_of_ground.parent


@pytest.fixture
def top_owned(make_incident, people):
    """An incident in the same subtree owned by someone else (the general manager)."""

    def make(title: str):
        return make_incident(title=title, owner=people["top"], owner_position=Position.objects.get(code="gm"))

    return make


def test_someone_who_owns_nothing_in_the_subtree_is_refused_and_audited(mine, people, make_incident, geo):
    make_incident()  # the mining manager's
    with pytest.raises(PolicyError) as refused:
        ask(mine, people, "responsible", geo)
    assert refused.value.code == "grant.no_standing"
    assert refused.value.context["field"] == "category"
    assert AuditEvent.objects.filter(action="access_denied", changes__code="grant.no_standing").exists()


def test_an_empty_subtree_gives_an_owner_no_standing(mine, people, geo):
    # Before: an empty subtree let anyone ask, and then covered other people's future incidents.
    with pytest.raises(PolicyError) as refused:
        ask(mine, people, "depthead", geo)
    assert refused.value.code == "grant.no_standing"


def test_an_owner_of_only_some_of_the_subtree_is_refused(mine, people, make_incident, top_owned, geo):
    make_incident()
    top_owned("Fall of ground owned by the general manager")
    with pytest.raises(PolicyError) as refused:
        ask(mine, people, "depthead", geo)
    assert refused.value.code == "grant.not_owner"


@pytest.mark.parametrize(
    ("actor", "standing"),
    [("custodian", GrantStanding.CATEGORY_CUSTODIAN), ("admin", GrantStanding.TENANT_ADMIN)],
)
def test_the_category_custodian_and_a_tenant_admin_ask_for_the_whole_subtree(
    mine, people, make_incident, top_owned, geo, actor, standing
):
    make_incident()
    top_owned("Fall of ground owned by the general manager")
    grant = ask(mine, people, actor, geo)
    assert grant.requested_as == standing and grant.covers_later_incidents is False
    event = AuditEvent.objects.get(object_type="incidents.accessgrant", object_id=str(grant.pk))
    assert event.changes["requested_as"] == standing and event.changes["covers_later_incidents"] is False


def test_a_custodian_of_another_branch_has_no_standing(mine, people, geo):
    geo.custodian_position = Position.objects.get(code="hr-officer")
    geo.save()
    Category.objects.filter(pk=geo.parent_id).update(custodian_position=None)
    Category.objects.filter(parent__isnull=True).update(custodian_position=None)
    with pytest.raises(PolicyError) as refused:
        ask(mine, people, "custodian", geo)
    assert refused.value.code == "grant.no_standing"
    assert ask(mine, people, "cwilliams", geo).requested_as == GrantStanding.CATEGORY_CUSTODIAN


def test_by_default_a_subtree_covers_only_the_incidents_that_existed_at_issue(mine, people, make_incident, geo):
    before = make_incident(title="Existing fall of ground")
    grant = grants.issue_grant(grant=ask(mine, people, "custodian", geo), actor=people["admin"])
    later = make_incident(title="Fall of ground reported after the grant")
    assert list(incidents_in(grant)) == [before]
    assert covers(grant, before) and not covers(grant, later)


def test_covering_later_incidents_is_explicit_and_an_owner_gets_only_their_own(
    mine, people, make_incident, top_owned, geo
):
    make_incident(title="Existing fall of ground")
    by_custodian = grants.issue_grant(
        grant=ask(mine, people, "custodian", geo, covers_later_incidents=True), actor=people["admin"]
    )
    by_owner = grants.issue_grant(
        grant=ask(mine, people, "depthead", geo, covers_later_incidents=True), actor=people["admin"]
    )
    assert by_owner.requested_as == GrantStanding.OWNER
    own_later = make_incident(title="Later fall of ground, the mining manager's")
    other_later = top_owned("Later fall of ground, the general manager's")
    assert {own_later, other_later} <= set(incidents_in(by_custodian))
    assert covers(by_custodian, other_later)
    assert own_later in set(incidents_in(by_owner)) and covers(by_owner, own_later)
    assert other_later not in set(incidents_in(by_owner)) and not covers(by_owner, other_later)


def test_an_explicit_set_cannot_cover_later_incidents(mine, people, make_incident):
    incident = make_incident()
    with pytest.raises(PolicyError) as refused:
        ask(mine, people, "depthead", None, incidents=[incident], covers_later_incidents=True)
    assert refused.value.code == "grant.invalid_scope"


def test_the_request_form_passes_the_choice_and_the_issuer_sees_it(client, mine, people, make_incident, geo):
    make_incident()
    client.force_login(people["custodian"])
    response = client.post(
        reverse("grant_request"),
        {
            "grantee": people["auditor"].pk,
            "scope": "subtree",
            "category": geo.pk,
            "covers_later_incidents": "on",
            "purpose": "Group assurance review of ground control",
            "expires_on": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 302
    grant = grants.AccessGrant.objects.get(requested_by=people["custodian"])
    assert grant.covers_later_incidents and grant.requested_as == GrantStanding.CATEGORY_CUSTODIAN
    client.force_login(people["admin"])
    page = client.get(reverse("manage_grants")).content.decode()
    assert 'data-testid="grant-covers-later">Also covers incidents reported later</mark>' in page
    assert 'data-testid="grant-standing">custodian of the category</span>' in page
