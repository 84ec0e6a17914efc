"""The workflow engine: templates, runs, steps, sub-workflows, evidence and automated review."""
