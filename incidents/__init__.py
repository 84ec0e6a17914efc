"""The governed item (the incident) and everything that orchestrates it."""
