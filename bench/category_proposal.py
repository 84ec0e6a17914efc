"""Category proposal accuracy on a held-out split of the generated Diamond Mining report set
(incidents/demo/reports.py): top-1 and top-3 for the proposer trained on the tenant's history,
against the keyword-only proposer (no history) measured in the same run."""

from __future__ import annotations

import json

from bench.results import Result
from incidents.demo.reports import generate, split
from incidents.intake.proposals import CategoryInfo, CategoryProposer
from incidents.intake.services.categories import read_template


def leaf_categories(key: str) -> list[CategoryInfo]:
    leaves: list[CategoryInfo] = []

    def walk(nodes, ancestors):
        for node in nodes:
            if node.get("children"):
                walk(node["children"], (*ancestors, node["name"]))
            else:
                leaves.append(CategoryInfo(node["code"], node["name"], tuple(node.get("keywords", [])), ancestors))

    walk(read_template(key)["categories"], ())
    return leaves


def accuracy(proposer: CategoryProposer, test: list[tuple[str, str]]) -> tuple[float, float]:
    top1 = top3 = 0
    for text, code in test:
        codes = [p.code for p in proposer.propose(text, k=3)]
        top1 += bool(codes) and codes[0] == code
        top3 += code in codes
    return top1 / len(test), top3 / len(test)


def run(*, quick: bool = False) -> list[Result]:
    categories = leaf_categories("diamond_mining")
    train, test = split(generate(n_per_category=20 if quick else 40))
    trained = CategoryProposer().fit(categories, train)
    keywords_only = CategoryProposer().fit(categories)
    t1, t3 = accuracy(trained, test)
    k1, k3 = accuracy(keywords_only, test)
    # Harder: the held-out reports use a phrasing of each category the model never saw.
    n = 20 if quick else 40
    unseen_train = generate(n_per_category=n, seed=12, phrase_indexes=(0, 1))
    unseen_test = generate(n_per_category=n // 2, seed=13, phrase_indexes=(2,))
    u1, u3 = accuracy(CategoryProposer().fit(categories, unseen_train), unseen_test)
    uk1, uk3 = accuracy(keywords_only, unseen_test)
    summary = {
        "categories": len(categories),
        "held_out_reports": {
            "train": len(train),
            "test": len(test),
            "top1": t1,
            "top3": t3,
            "keywords_only_top1": k1,
            "keywords_only_top3": k3,
        },
        "unseen_phrasing": {
            "train": len(unseen_train),
            "test": len(unseen_test),
            "top1": u1,
            "top3": u3,
            "keywords_only_top1": uk1,
            "keywords_only_top3": uk3,
        },
    }
    print(json.dumps(summary, default=lambda v: round(v, 3)))
    note = "baseline: keywords only"
    return [
        Result("proposal top-1, held-out reports (%)", "%", t1 * 100, k1 * 100, note=note),
        Result("proposal top-3, held-out reports (%)", "%", t3 * 100, k3 * 100, note=note),
        Result("proposal top-1, unseen phrasing (%)", "%", u1 * 100, uk1 * 100, note=note),
        Result("proposal top-3, unseen phrasing (%)", "%", u3 * 100, uk3 * 100, note=note),
    ]
