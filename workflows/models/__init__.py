"""Models of the workflow engine: versioned templates, runs and their steps, evidence, reviews."""

from workflows.models.evidence import Evidence
from workflows.models.review import Review, Submission
from workflows.models.runs import Step, WorkflowRun
from workflows.models.templates import TemplateStep, WorkflowTemplate

__all__ = ["Evidence", "Review", "Step", "Submission", "TemplateStep", "WorkflowRun", "WorkflowTemplate"]
