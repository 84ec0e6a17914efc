"""Writes of automated intake: sources and their rules, events, webhooks."""
