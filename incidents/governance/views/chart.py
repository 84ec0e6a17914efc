"""The unit's org chart as a server-rendered SVG tree (people, positions, vacancies and acting
appointments marked) and its rows as CSV."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents.governance import selectors
from incidents.governance.policy import may_view_organogram
from incidents.governance.views.structure import _member

BOX_W, BOX_H, GAP_X, GAP_Y = 190, 58, 20, 40


def _layout(rows: list[selectors.PositionRow]) -> tuple[list[dict], list[dict], int, int]:
    """A tidy top-down layout: leaves take the next column, parents sit over their children."""
    by_id = {row.position.pk: row for row in rows}
    children: dict[int | None, list[selectors.PositionRow]] = {}
    for row in rows:
        parent = row.position.parent_id if row.position.parent_id in by_id else None
        children.setdefault(parent, []).append(row)
    boxes: list[dict] = []
    lines: list[dict] = []
    next_x = 0

    def place(row: selectors.PositionRow, depth: int) -> float:
        nonlocal next_x
        kids = children.get(row.position.pk, [])
        if kids:
            centres = [place(kid, depth + 1) for kid in kids]
            x = (centres[0] + centres[-1]) / 2
        else:
            x = next_x * (BOX_W + GAP_X) + BOX_W / 2
            next_x += 1
        y = depth * (BOX_H + GAP_Y)
        holder = row.holder.person if row.holder else None
        acting = row.acting.person if row.acting else None
        boxes.append(
            {
                "x": x - BOX_W / 2,
                "y": y,
                "cx": x,
                "title": row.position.title[:30],
                "who": (holder.get_full_name() or holder.username)[:28] if holder else "vacant",
                "acting": (acting.get_full_name() or acting.username)[:22] if acting else "",
                "vacant": row.vacant,
                "code": row.position.code,
            }
        )
        for kid_box in [b for b in boxes if b["code"] in {k.position.code for k in kids}]:
            lines.append({"x1": x, "y1": y + BOX_H, "x2": kid_box["cx"], "y2": kid_box["y"]})
        return x

    for root in children.get(None, []):
        place(root, 0)
    depth = max((b["y"] for b in boxes), default=0) + BOX_H
    return boxes, lines, max(next_x, 1) * (BOX_W + GAP_X), depth


@login_required
@require_GET
def unit_chart(request: HttpRequest, code: str) -> HttpResponse:
    _member(request)
    unit = selectors.get_unit_for_user(request.user, code)
    decision = may_view_organogram(request.user, unit)
    if not decision:
        raise PermissionDenied(decision.reason)
    boxes, lines, width, height = _layout(selectors.position_rows(selectors.subtree(unit)))
    context = {
        "boxes": boxes,
        "lines": lines,
        "width": width,
        "height": height + 4,
        "unit": unit,
        "box_w": BOX_W,
        "box_h": BOX_H,
    }
    return render(request, "governance/unit_chart.svg", context, content_type="image/svg+xml")


@login_required
@require_GET
def unit_csv(request: HttpRequest, code: str) -> HttpResponse:
    _member(request)
    unit = selectors.get_unit_for_user(request.user, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="organogram-{unit.code}.csv"'
    writer = csv.writer(response)
    writer.writerow(["unit", "position_code", "title", "reports_to", "shift", "unit_head", "holder", "acting"])
    for row in selectors.position_rows(selectors.subtree(unit)):
        p = row.position
        writer.writerow(
            [
                p.unit.code,
                p.code,
                p.title,
                p.parent.code if p.parent_id else "",
                p.shift.code if p.shift_id else "",
                "yes" if p.is_unit_head else "",
                row.holder.person.username if row.holder else "",
                row.acting.person.username if row.acting else "",
            ]
        )
    return response
