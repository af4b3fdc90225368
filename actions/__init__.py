"""Rasa SDK actions, by topic. Thin adapters: they read the tracker, call bot/, and reply."""
