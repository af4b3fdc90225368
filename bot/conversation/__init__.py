"""The conversation around the facts: what a message is about, and what the bot does with it."""
