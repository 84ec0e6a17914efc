"""The scoped portal at /portal/: what a grantee may read, audit packs, and external providers' steps."""
