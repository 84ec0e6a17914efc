"""Builds the demo tenants through the same services the product uses, so the ledger and
history of the demo data are as real as anything a user creates."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from arc.choices import Role
from arc.services import create_accountability_rule, grant_role
from incidents.demo import organogram_spec as spec
from incidents.intake.services.categories import load_industry_template
from incidents.models import Category, SlaPolicy
from iwms.models import Organisation, User
from iwms.request_context import acting
from organogram.choices import UnitKind
from organogram.services import assign_person, create_position, create_shift, create_unit
from workflows.services.templates import load_template_library

DEMO_SLUG = "kimberlite-ridge"
SECOND_SLUG = "karoo-traders"
SEED_ACTOR = "system:seed_demo"


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _user(tenant: Organisation, username: str, first: str, last: str, password_hash: str, number: int) -> User:
    user = User(
        organisation=tenant,
        username=username,
        first_name=first,
        last_name=last,
        password=password_hash,
        email=f"{username}@{tenant.slug}.example",
        employee_number=f"E{number:05d}",
    )
    user.save()
    return user


def _sla_policies(tenant: Organisation) -> None:
    """The mine's standard targets are the seed defaults; product security runs tighter."""
    SlaPolicy(organisation=tenant, code="mine-standard", name="Mine standard", is_default=True).save()
    product = SlaPolicy(
        organisation=tenant,
        code="product-security",
        name="Product security (tighter)",
        sev2_ack_minutes=10,
        sev2_resolve_minutes=120,
        sev3_ack_minutes=30,
        sev3_resolve_minutes=8 * 60,
    )
    product.save()
    for category in Category.objects.filter(organisation=tenant, code__startswith="SEC.PROD"):
        category.sla_policy = product
        category.save(update_fields=["sla_policy", "updated_at"])


def build_demo_tenant(*, password: str) -> Organisation:
    """The diamond mine: about 40 people on two shifts, one login per role."""
    password = make_password(password)  # hashed once: every demo login shares it
    since = timezone.now() - timedelta(days=365)
    with acting(SEED_ACTOR), transaction.atomic():
        tenant = Organisation.objects.create(
            slug=DEMO_SLUG, name="Kimberlite Ridge Diamond Mine", industry="Diamond Mining"
        )
        units = {}
        for code, name, kind, parent in spec.UNITS:
            units[code] = create_unit(
                tenant=tenant, code=code, name=name, kind=UnitKind(kind), parent=units.get(parent)
            )
        shifts = {
            code: create_shift(
                tenant=tenant, unit=units[unit], code=code, name=name, starts_at=_time(start), ends_at=_time(end)
            )
            for code, name, unit, start, end in spec.SHIFTS
        }
        positions = {}
        number = 1000
        for code, title, unit, reports_to, is_head, shift, holder in spec.POSITIONS:
            positions[code] = create_position(
                tenant=tenant,
                code=code,
                title=title,
                unit=units[unit],
                reports_to=positions.get(reports_to),
                is_unit_head=is_head,
                shift=shifts.get(shift) if shift else None,
            )
            if holder is not None:
                number += 1
                username, first, last = holder
                person = _user(tenant, username, first, last, password, number)
                assign_person(position=positions[code], person=person, starts_at=since)
        for username, first, last, role, note in spec.OUTSIDERS:
            number += 1
            person = _user(tenant, username, first, last, password, number)
            expires = timezone.now() + timedelta(days=180) if role != Role.AUDITOR else None
            grant_role(tenant=tenant, user=person, role=Role(role), reason=note, starts_at=since, expires_at=expires)
        for username, role, reason in spec.EXTRA_GRANTS:
            grant_role(
                tenant=tenant, user=User.objects.get(username=username), role=Role(role), reason=reason, starts_at=since
            )
        load_industry_template(tenant=tenant, key="diamond_mining", custodian=positions["sheq-custodian"])
        load_template_library(tenant=tenant)
        _sla_policies(tenant)
        for unit, position, kind, category, description in spec.ACCOUNTABILITY:
            create_accountability_rule(
                tenant=tenant,
                unit=units[unit],
                accountable_position=positions[position],
                kind=kind,
                category_code=category,
                description=description,
            )
    return tenant


def build_second_tenant(*, password: str) -> Organisation:
    """A small diamond trader, to prove that tenants never see each other."""
    password = make_password(password)
    since: datetime = timezone.now() - timedelta(days=90)
    with acting(SEED_ACTOR), transaction.atomic():
        tenant = Organisation.objects.create(slug=SECOND_SLUG, name="Karoo Diamond Traders", industry="Diamond Selling")
        head = create_unit(tenant=tenant, code="traders", name="Karoo Diamond Traders", kind=UnitKind.ORGANISATION)
        sales = create_unit(tenant=tenant, code="sales", name="Sales", kind=UnitKind.DEPARTMENT, parent=head)
        md = create_position(tenant=tenant, code="md", title="Managing Director", unit=head, is_unit_head=True)
        sales_head = create_position(
            tenant=tenant, code="sales-manager", title="Sales Manager", unit=sales, reports_to=md, is_unit_head=True
        )
        valuer = create_position(
            tenant=tenant, code="valuer", title="Diamond Valuer", unit=sales, reports_to=sales_head
        )
        for number, (position, username, first, last) in enumerate(
            [
                (md, "karoo.md", "Willem", "Steyn"),
                (sales_head, "karoo.sales", "Ayesha", "Patel"),
                (valuer, "karoo.valuer", "Lungile", "Zwane"),
            ],
            start=1,
        ):
            assign_person(
                position=position, person=_user(tenant, username, first, last, password, number), starts_at=since
            )
        load_industry_template(tenant=tenant, key="diamond_selling", custodian=md)
        create_accountability_rule(
            tenant=tenant,
            unit=head,
            accountable_position=md,
            description="The Managing Director is accountable for everything.",
        )
    return tenant


def build_platform_admin(*, password: str) -> User:
    user = User(
        username="platform",
        first_name="Platform",
        last_name="Administrator",
        is_staff=True,
        is_superuser=True,
        email="platform@iwms.example",
    )
    user.set_password(password)
    user.save()
    return user
