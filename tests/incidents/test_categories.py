"""Categories are governed: a name or code never changes silently."""

from __future__ import annotations

import pytest

from incidents.models import Category
from iwms.errors import PolicyError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "value"), [("name", "Rock fall"), ("code", "SAF.GEO.RF")])
def test_category_name_or_code_change_is_refused_outside_governance(fall_of_ground, field, value):
    category = Category.objects.get(pk=fall_of_ground.pk)
    setattr(category, field, value)
    with pytest.raises(PolicyError) as refused:
        category.save()
    assert refused.value.code == "category.governed_change"
    assert getattr(Category.objects.get(pk=fall_of_ground.pk), field) != value


def test_governed_path_may_rename_and_other_fields_change_freely(fall_of_ground):
    category = Category.objects.get(pk=fall_of_ground.pk)
    category.description = "Any fall of rock from the hanging wall or sidewall."
    category.save()
    category.name = "Fall of ground (FOG)"
    category.save(governed_change=True)
    assert Category.objects.get(pk=fall_of_ground.pk).name == "Fall of ground (FOG)"


def test_category_subtree_is_one_query(fall_of_ground, django_assert_num_queries):
    root = Category.objects.get(organisation=fall_of_ground.organisation, code="SAF")
    with django_assert_num_queries(1):
        codes = [c.code for c in Category.objects.descendants(root, include_self=True)]
    assert codes[0] == "SAF" and "SAF.GEO.FOG" in codes and all(code.startswith("SAF") for code in codes)
