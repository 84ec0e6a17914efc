"""The controls slice: lossless merge and split of incidents with lineage, the reconciliation
that proves nothing was lost, and un-merge (seed 002 §7)."""
