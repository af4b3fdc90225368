"""Command line for LPR staff: `python -m bot.admin --help`."""
