"""The automated evidence reviewer: `review(pack)` judges a completed workflow's pack of plain
data and returns a verdict with findings (docs/review-pack.md)."""

from workflows.review.engine import ENGINE, VERSION, review
from workflows.review.pack import PackError
from workflows.review.result import Finding, ReviewResult

__all__ = ["ENGINE", "VERSION", "Finding", "PackError", "ReviewResult", "review"]
