"""Reads of the triage slice: the tenant's settings, an incident's triage and its pending
re-prioritisations, the requests a manager decides, breaches waiting for a post-mortem, the
weekly breach trend, decision trees."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from incidents.models import Breach, Category
from incidents.triage.choices import BreachCause, RequestStatus
from incidents.triage.models import BreachReview, DecisionTree, ReprioritisationRequest, TriageSettings
from incidents.triage.trees import Question, TreeError, parse
from iwms.models import User
from organogram.hierarchy import people_below


def settings_for(tenant_id: int) -> TriageSettings:
    """The tenant's triage settings; the defaults (unsaved) when it has kept none."""
    return TriageSettings.objects.filter(organisation_id=tenant_id).first() or TriageSettings(organisation_id=tenant_id)


def requests_to_decide(user: User) -> QuerySet[ReprioritisationRequest]:
    """Pending re-prioritisations of incidents whose responsible person is below `user`."""
    return (
        ReprioritisationRequest.objects.for_tenant(user.organisation_id)
        .filter(status=RequestStatus.PENDING, incident__responsible__in=people_below(user))
        .exclude(requested_by=user)
        .select_related("incident", "requested_by")
        .order_by("requested_at", "id")
    )


def breaches_to_review(user: User) -> QuerySet[Breach]:
    """Breaches of incidents `user` owns that have no post-mortem yet: the ask of seed 002 §6.3."""
    return (
        Breach.objects.filter(organisation_id=user.organisation_id, incident__owner=user, review__isnull=True)
        .select_related("incident")
        .order_by("breached_at", "id")
    )


def get_breach_for_owner(user: User, breach_id: int) -> Breach:
    from django.http import Http404

    breach = (
        Breach.objects.filter(organisation_id=user.organisation_id, pk=breach_id, incident__owner=user)
        .select_related("incident__owner", "incident")
        .first()
    )
    if breach is None:
        raise Http404("No such breach of an incident you own.")
    return breach


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def breach_trend(tenant_id: int, weeks: int = 12, now: datetime | None = None) -> dict:
    """Breaches per ISO week for the last `weeks` weeks: how many, how many reviewed, and the
    reviewed ones by cause category — two queries whatever the number of breaches."""
    now = now or timezone.now()
    first = week_start(timezone.localtime(now).date()) - timedelta(weeks=weeks - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    breaches = Counter()
    for breached_at in Breach.objects.filter(organisation_id=tenant_id, breached_at__gte=since).values_list(
        "breached_at", flat=True
    ):
        breaches[week_start(timezone.localtime(breached_at).date())] += 1
    causes: dict[date, Counter] = {}
    for breached_at, cause in BreachReview.objects.filter(
        organisation_id=tenant_id, breach__breached_at__gte=since
    ).values_list("breach__breached_at", "cause"):
        causes.setdefault(week_start(timezone.localtime(breached_at).date()), Counter())[cause] += 1
    rows = []
    for n in range(weeks):
        start = first + timedelta(weeks=n)
        by_cause = causes.get(start, Counter())
        rows.append(
            {
                "week": start,
                "breaches": breaches[start],
                "reviewed": sum(by_cause.values()),
                "causes": [by_cause[value] for value in BreachCause.values],
            }
        )
    peak = max([row["breaches"] for row in rows] + [1])
    for n, row in enumerate(rows):  # the bars of the chart, drawn on the server (a 10-unit column a week)
        height = round(50 * row["breaches"] / peak)
        reviewed = round(50 * row["reviewed"] / peak)
        row["bar"] = {
            "x": n * 10 + 2,
            "y": 55 - height,
            "height": height,
            "reviewed_y": 55 - reviewed,
            "reviewed_height": reviewed,
        }
    totals = [sum(row["causes"][i] for row in rows) for i in range(len(BreachCause.values))]
    return {"rows": rows, "peak": peak, "width": weeks * 10, "causes": BreachCause.choices, "totals": totals}


def tree_for(category: Category) -> DecisionTree | None:
    return DecisionTree.objects.filter(organisation_id=category.organisation_id, category=category).first()


def parsed_tree(tree: DecisionTree | None) -> dict[str, Question] | None:
    if tree is None:
        return None
    try:
        return parse(tree.source)
    except TreeError:
        return None
