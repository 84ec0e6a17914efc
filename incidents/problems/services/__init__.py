"""Every write of problem management: one public service per effect (raising, the lifecycle,
links to incidents). Views, admin, commands and tests call these and nothing else writes."""
