"""The views of `/api/v1/`."""
