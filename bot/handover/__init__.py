"""A person takes over: handover state, office hours and callback requests (docs/handover.md)."""
