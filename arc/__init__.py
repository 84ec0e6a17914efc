"""ARC — the Accountability–Responsibility Continuum: who is accountable, who is responsible,
every hand-off of responsibility (the ARC trace), and role grants."""
