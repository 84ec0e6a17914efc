"""The organogram: org units, positions and reporting lines, people in positions over time."""
