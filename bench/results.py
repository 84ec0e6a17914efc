"""A benchmark figure beside its same-run baseline, and the table that prints them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    name: str
    unit: str
    value: float
    baseline: float
    target_ratio: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else 0.0

    @property
    def verdict(self) -> str:
        if self.target_ratio is None:
            return "info"
        return "PASS" if self.ratio >= self.target_ratio else "FAIL"


def print_table(results: list[Result]) -> bool:
    """Print the results; return True when any target was missed."""
    header = f"{'benchmark':<44} {'figure':>14} {'baseline':>14} {'ratio':>7} {'target':>7}  verdict"
    print(header)
    print("-" * len(header))
    for r in results:
        target = f"{r.target_ratio:.2f}" if r.target_ratio is not None else "-"
        print(
            f"{r.name:<44} {r.value:>10,.0f} {r.unit:<3} {r.baseline:>10,.0f} {r.unit:<3} "
            f"{r.ratio:>7.2f} {target:>7}  {r.verdict}{'  ' + r.note if r.note else ''}"
        )
    return any(r.verdict == "FAIL" for r in results)
