"""asskomm-bot: the project's own package (knowledge, NLP pipeline, CLI), importable without Rasa running."""
