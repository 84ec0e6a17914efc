"""Pages of the response app."""
