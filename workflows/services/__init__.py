"""All writes of the workflow engine; views, tasks and the layer above call these and nothing else."""
