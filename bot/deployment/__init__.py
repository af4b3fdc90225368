"""How Rasa is wired to its services (tracker store, lock store, event broker), from the settings."""
