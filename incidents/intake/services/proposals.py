"""Building a tenant's category proposer from its category tree and classified incidents."""

from __future__ import annotations

from incidents.intake.proposals import CategoryInfo, CategoryProposer
from incidents.models import Category, Incident
from iwms.models import Organisation

HISTORY_LIMIT = 20_000  # the most recent classified incidents the model learns from


def selectable_categories(tenant: Organisation) -> list[CategoryInfo]:
    """Leaf categories (the ones a reporter selects), with their ancestors' names."""
    nodes = list(
        Category.objects.for_tenant(tenant).filter(is_active=True, offered_to_reporters=True).with_tree_fields()
    )
    by_id = {node.pk: node for node in nodes}
    parents = {node.parent_id for node in nodes if node.parent_id}
    leaves = []
    for node in nodes:
        if node.pk in parents:
            continue
        ancestors = tuple(by_id[pk].name for pk in node.tree_path[:-1] if pk in by_id)
        leaves.append(CategoryInfo(node.code, node.name, tuple(node.keyword_list), ancestors))
    return leaves


def proposer_for(tenant: Organisation) -> CategoryProposer:
    history = (
        Incident.objects.for_tenant(tenant)
        .order_by("-reported_at")
        .values_list("title", "narrative", "category__code")[:HISTORY_LIMIT]
    )
    return CategoryProposer().fit(
        selectable_categories(tenant), ((f"{title} {narrative}", code) for title, narrative, code in history)
    )
