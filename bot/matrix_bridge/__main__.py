"""`python -m bot.matrix_bridge`: runs the bridge until Ctrl+C or SIGTERM.

Settings (environment): ASSKOMM_MATRIX_HOMESERVER, ASSKOMM_MATRIX_USER,
ASSKOMM_MATRIX_PASSWORD or ASSKOMM_MATRIX_ACCESS_TOKEN, ASSKOMM_MATRIX_STORE_DIR
(default var/matrix), ASSKOMM_RASA_URL (default http://localhost:5005).
"""
from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from bot.matrix_bridge.bridge import BridgeConfig, MatrixBridge


async def _main(config: BridgeConfig) -> None:
    task = asyncio.create_task(MatrixBridge(config).run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        logging.getLogger("asskomm.matrix").info("Matrix: Brücke beendet.")


def main() -> int:
    logging.basicConfig(level=os.environ.get("ASSKOMM_MATRIX_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("nio").setLevel(logging.WARNING)
    try:
        config = BridgeConfig.from_env()
    except ValueError as error:
        print(f"Matrix-Brücke: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(_main(config))
    except RuntimeError as error:  # login refused
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
