"""Django admin: every model registered, its list and change pages open for the platform admin
with a query count that does not grow with the rows, and the ledger is read-only."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from incidents.demo.builder import build_demo_tenant, build_platform_admin
from iwms.models import AuditEvent

pytestmark = pytest.mark.django_db

OWN_APPS = {"iwms", "organogram", "arc", "workflows", "incidents"}


def own_models():
    return [
        model
        for model in apps.get_models()
        # the project's apps, and the slices of incidents that are apps of their own
        if model._meta.app_config.name.split(".")[0] in OWN_APPS and not model.__name__.startswith("Historical")
    ]


def test_every_project_model_is_registered_in_admin():
    missing = [model._meta.label for model in own_models() if model not in admin.site._registry]
    assert missing == []


@pytest.fixture
def platform_client(client):
    build_demo_tenant(password="pw-demo-12345")
    client.force_login(build_platform_admin(password="pw-admin-12345"))
    return client


@pytest.mark.parametrize("model", own_models(), ids=lambda m: m._meta.label)
def test_admin_changelist_and_change_page_open(platform_client, model, django_assert_max_num_queries):
    opts = model._meta
    with django_assert_max_num_queries(20):
        response = platform_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    obj = model._default_manager.first()
    if obj is not None:
        change = platform_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert change.status_code == 200


def test_ledger_cannot_be_changed_or_deleted_from_admin(platform_client):
    event = AuditEvent.objects.first()
    delete = platform_client.post(reverse("admin:iwms_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    add = platform_client.get(reverse("admin:iwms_auditevent_add"))
    assert add.status_code == 403


def test_history_view_is_available_for_governed_models(platform_client):
    from organogram.models import Position

    position = Position.objects.first()
    response = platform_client.get(reverse("admin:organogram_position_history", args=[position.pk]))
    assert response.status_code == 200
    assert "Created" in response.content.decode()


def test_object_permission_view_is_available_for_governed_models(platform_client):
    from organogram.models import Position

    position = Position.objects.first()
    response = platform_client.get(reverse("admin:organogram_position_permissions", args=[position.pk]))
    assert response.status_code == 200
    assert "Object permissions" in response.content.decode()


def test_a_tenant_admin_made_staff_with_every_permission_still_cannot_use_the_admin(client):
    """Admin lists span tenants, so it is for platform admins only: a tenant's user given the
    staff flag and every model permission is sent to sign in and sees no row of any tenant."""
    from django.contrib.auth.models import Permission

    from incidents.demo.builder import build_second_tenant
    from iwms.models import User

    build_demo_tenant(password="pw-demo-12345")
    build_second_tenant(password="pw-demo-12345")
    admin_user = User.objects.get(username="admin")
    admin_user.is_staff = True
    admin_user.save()
    admin_user.user_permissions.set(Permission.objects.all())
    client.force_login(admin_user)
    for name in ("admin:index", "admin:incidents_incident_changelist", "admin:iwms_user_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), name
        assert b"Karoo" not in response.content
    assert client.get(reverse("home")).content.count(b'href="/admin/"') == 0
