"""The staff web console: applications inbox, conversations and statistics, behind a login.

Runs as its own process in .venv-console (`make console`, `python -m bot.console`) and reads
the same tables as the bot through bot.db; it never imports actions/. The modules without a
web framework (accounts, audit, workflow, conversations) are importable from .venv as well,
so the admin CLI creates users with the same rules.
"""
