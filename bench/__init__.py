"""Benchmarks and held-out evaluations (run as modules: python -m bench.conversations)."""
