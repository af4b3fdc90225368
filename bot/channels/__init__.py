"""Rasa input channels of the project, referenced by module path from credentials.yml."""
