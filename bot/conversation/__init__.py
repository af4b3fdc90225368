"""How a conversation goes on: follow-ups, several questions in one message, scope."""
