"""The tables of a dashboard, each defined once: the page renders them (with the chart drawn
from the table's own cells by `static/assurance/charts.js`) and the CSV export writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from incidents.assurance import kpis
from incidents.assurance.maturity import Maturity
from incidents.assurance.selectors import Breakdown, Dashboard

NONE = "—"


@dataclass(frozen=True)
class Cell:
    text: str
    value: float | None = None  # what the chart plots and the CSV writes (None: the text)


@dataclass
class Table:
    key: str
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # the incident list behind each row ("" for none)
    chart: str = ""  # "bar" or "line"; "" for a table without a chart
    series: tuple[int, ...] = ()  # the columns the chart plots
    description: str = ""

    @property
    def lines(self) -> list[tuple[list[Cell], str]]:
        """Each row with the incident list behind it."""
        return list(zip(self.rows, self.links, strict=True))

    @property
    def has_links(self) -> bool:
        return any(self.links)


def number(value: float | None, digits: int = 1) -> Cell:
    if value is None:
        return Cell(NONE)
    return Cell(f"{value:,.{digits}f}", round(value, digits))


def count(value: float) -> Cell:
    return Cell(f"{int(value):,}", int(value))


def drill_link(filters: dict[str, Any]) -> str:
    query = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in filters.items()}
    return f"{reverse('managed_incidents')}?{urlencode(query)}"


def _summary(board: Dashboard) -> Table:
    table = Table(
        "summary",
        "Key performance indicators",
        ["KPI", "This period", "Previous period", "Change", "Unit"],
        description="Each KPI over the incidents reported in the period, against the period just before.",
    )
    drill = {"reported_from": board.scope.start, "reported_to": board.scope.last_day}
    if board.scope.severity:
        drill["severity"] = board.scope.severity
    if board.scope.category is not None:
        drill["category"] = board.scope.category.pk
    for row in board.summary:
        kpi = row["kpi"]
        digits = 0 if kpi.key == "volume" else 1
        table.rows.append(
            [
                Cell(kpi.name),
                number(row["now"], digits),
                number(row["before"], digits),
                Cell(row["change"] or NONE),
                Cell(kpi.unit),
            ]
        )
        table.links.append(drill_link({**drill, **kpi.drill}))
    return table


def _definitions() -> Table:
    table = Table(
        "definitions",
        "How each figure is worked out",
        ["KPI", "Formula", "Unit", "Which items count", "Seed"],
        description="Every KPI counts the incidents reported in the period (in the tenant's time zone), "
        "of the dashboard's unit and the units below it, narrowed by the filters above.",
    )
    for kpi in kpis.CATALOGUE:
        table.rows.append([Cell(kpi.name), Cell(kpi.formula), Cell(kpi.unit), Cell(kpi.counts), Cell(kpi.seed)])
        table.links.append("")
    return table


def _trend(rows: list[Breakdown]) -> Table:
    table = Table(
        "trend",
        "Trend over the period",
        ["Period", "Incidents", "Breached", "Breach rate (%)", "MTTA (minutes)", "MTTR (hours)"],
        chart="line",
        series=(1, 2),
    )
    for row in rows:
        v = row.values
        table.rows.append(
            [
                Cell(row.label),
                count(row.sums["items"]),
                count(row.sums["breached"]),
                number(v["breach_rate"]),
                number(v["mtta"]),
                number(v["mttr"]),
            ]
        )
        table.links.append(drill_link(row.drill))
    return table


def _severity(rows: list[Breakdown]) -> Table:
    table = Table(
        "severity",
        "By severity, against the seeds' SLA targets",
        ["Severity", "Incidents", "MTTA (minutes)", "MTTA target", "MTTR (hours)", "MTTR target", "Breach rate (%)"],
        chart="bar",
        series=(2, 3),
        description="Targets: the default acknowledge and resolve times of seed 000 "
        "(SEV-1 5 min / 1 h … SEV-4 4 h / 72 h).",
    )
    for row in rows:
        severity = row.drill["severity"]
        v = row.values
        table.rows.append(
            [
                Cell(row.label),
                count(row.sums["items"]),
                number(v["mtta"]),
                number(kpis.SEVERITY_TARGETS["mtta"][severity], 0),
                number(v["mttr"]),
                number(kpis.SEVERITY_TARGETS["mttr"][severity], 0),
                number(v["breach_rate"]),
            ]
        )
        table.links.append(drill_link(row.drill))
    return table


def _kind(rows: list[Breakdown]) -> Table:
    table = Table(
        "kind",
        "By kind",
        ["Kind", "Incidents", "Breach rate (%)", "Reopen rate (%)", "Escalation rate (%)"],
        chart="bar",
        series=(2, 3, 4),
    )
    for row in rows:
        v = row.values
        table.rows.append(
            [
                Cell(row.label),
                count(row.sums["items"]),
                number(v["breach_rate"]),
                number(v["reopen_rate"]),
                number(v["escalation_rate"]),
            ]
        )
        table.links.append(drill_link(row.drill))
    return table


def _units(board: Dashboard) -> Table:
    table = Table(
        "units",
        "By unit (each with the units below it)",
        ["Unit", "Incidents", "Breach rate (%)", "Escalation rate (%)", "Maturity score", "Maturity level"],
        chart="bar",
        series=(4,),
        description="The incident list behind a row shows the incidents owned in that unit itself.",
    )
    for row in board.by_unit:
        v = row.values
        score = board.unit_maturity[row.drill["unit"]]
        table.rows.append(
            [
                Cell(row.label),
                count(row.sums["items"]),
                number(v["breach_rate"]),
                number(v["escalation_rate"]),
                number(score.score, 0),
                Cell(f"{score.level} {score.level_name}" if score.level else score.level_name),
            ]
        )
        table.links.append(drill_link(row.drill))
    return table


def _maturity_trend(rows: list[tuple[Breakdown, Maturity]]) -> Table:
    table = Table(
        "maturity_trend",
        "Maturity score, period by period",
        ["Period", "Score", "Level", "Incidents"],
        chart="line",
        series=(1,),
    )
    for bucket, score in rows:
        level = f"{score.level} {score.level_name}" if score.level else score.level_name
        table.rows.append([Cell(bucket.label), number(score.score, 0), Cell(level), count(bucket.sums["items"])])
        table.links.append(drill_link(bucket.drill))
    return table


def _maturity_signals(score: Maturity) -> Table:
    table = Table(
        "maturity_signals",
        "What the maturity score is made of",
        ["Signal", "Rate (%)", "Weight", "Points lost"],
        chart="bar",
        series=(3,),
        description="Points lost = 100 × weight × rate ÷ sum of the weights. Halving a rate wins back half its points.",
    )
    for item in score.contributions:
        table.rows.append([Cell(item.label), number(100 * item.rate), count(item.weight), number(item.points)])
        table.links.append("")
    return table


def tables_of(board: Dashboard) -> list[Table]:
    return [
        _summary(board),
        _definitions(),
        _trend(board.trend),
        _severity(board.by_severity),
        _kind(board.by_kind),
        _units(board),
        _maturity_trend(board.maturity_trend),
        _maturity_signals(board.maturity),
    ]


TABLE_KEYS = ("summary", "definitions", "trend", "severity", "kind", "units", "maturity_trend", "maturity_signals")


# A cell a spreadsheet would read as a formula is written as text (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(cell: Cell) -> Any:
    if cell.value is not None:
        return cell.value
    if cell.text == NONE:
        return ""
    return "'" + cell.text if cell.text.startswith(FORMULA_START) else cell.text


def csv_rows(table: Table) -> list[list[Any]]:
    """The table as CSV rows: its header, then each row's values (numbers unformatted)."""
    return [list(table.columns), *([_csv_cell(cell) for cell in row] for row in table.rows)]
