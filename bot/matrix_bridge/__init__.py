"""Matrix bridge: a bot account in Matrix rooms, each message sent on to Rasa's REST channel
and the answers posted back (`python -m bot.matrix_bridge`).

It runs in its own virtual environment (.venv-matrix, requirements-matrix.txt), because
matrix-nio needs newer aiohttp than Rasa 3.6 allows; so it imports only the standard
library, nio, aiohttp, SQLAlchemy and the project modules bot.channels.formatting,
bot.db and bot.handover.store/texts (run it with PYTHONPATH at the project).
"""
