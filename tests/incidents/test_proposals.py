"""Category proposals: the three most likely categories with scores and the words that drove
them, from keywords alone and from the tenant's own history."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.demo.reports import generate, split
from incidents.intake.proposals import CategoryInfo, CategoryProposer, tokens

CATEGORIES = [
    CategoryInfo("SAF.GEO.FOG", "Fall of ground", ("fall of ground", "hanging wall", "slab", "rockfall"), ("Safety",)),
    CategoryInfo(
        "SEC.PROD.THEFT", "Diamond theft suspicion", ("diamond", "theft", "concealed", "search"), ("Security",)
    ),
    CategoryInfo(
        "ENV.SPILL.CHEM", "Hazardous-chemical spill", ("spill", "diesel", "ferrosilicon", "leak"), ("Environment",)
    ),
]


def test_tokens_drop_stop_words_and_add_word_pairs():
    assert tokens("A slab fell from the hanging wall") == [
        "slab",
        "fell",
        "hanging",
        "wall",
        "slab fell",
        "fell hanging",
        "hanging wall",
    ]


def test_keywords_alone_propose_the_right_category_with_its_words():
    proposals = CategoryProposer().fit(CATEGORIES).propose("Slab came off the hanging wall at level 8")
    assert proposals[0].code == "SAF.GEO.FOG"
    assert "hanging wall" in proposals[0].words
    assert len(proposals) == 3
    # Scaled by the share of the words the model knows ("came", "off", "level" are new to it).
    assert 0.3 < sum(p.score for p in proposals) <= 1
    assert proposals[0].score > proposals[1].score


def test_history_teaches_the_tenants_own_words():
    history = [("the bowser overflowed at the generator", "ENV.SPILL.CHEM")] * 5
    before = CategoryProposer().fit(CATEGORIES).propose("bowser overflowed again")
    after = CategoryProposer().fit(CATEGORIES, history).propose("bowser overflowed again")
    # No known word: three categories to start from, none with a claim.
    assert len(before) == 3 and all(p.score == 0 and p.words == () for p in before)
    assert after[0].code == "ENV.SPILL.CHEM" and "bowser" in after[0].words


def test_proposals_are_deterministic():
    proposer = CategoryProposer().fit(CATEGORIES)
    assert proposer.propose("diesel leak near the stones") == proposer.propose("diesel leak near the stones")


def test_trained_model_beats_keywords_on_the_held_out_generated_set():
    from bench.category_proposal import accuracy, leaf_categories

    categories = leaf_categories("diamond_mining")
    train, test = split(generate(n_per_category=12))
    trained_top1, trained_top3 = accuracy(CategoryProposer().fit(categories, train), test)
    keyword_top1, _ = accuracy(CategoryProposer().fit(categories), test)
    assert trained_top3 >= 0.9
    assert trained_top1 > keyword_top1


@pytest.mark.django_db
def test_suggest_category_command_prints_json_for_a_tenant():
    call_command("seed_demo", stdout=StringIO())
    out = StringIO()
    call_command(
        "suggest_category",
        "Loose rock fell from the hanging wall, area barricaded",
        tenant="kimberlite-ridge",
        stdout=out,
    )
    result = json.loads(out.getvalue())
    assert result["engine"] == "iwms.naive_bayes"
    assert result["proposals"][0]["code"] == "SAF.GEO.FOG"
    assert {"code", "name", "score", "words"} <= set(result["proposals"][0])
    with pytest.raises(CommandError, match="no tenant"):
        call_command("suggest_category", "x", tenant="nope", stdout=StringIO())
