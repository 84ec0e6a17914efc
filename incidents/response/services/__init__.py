"""The response app's writes: one public service per effect."""
