"""Rasa's own command line (`python -m bot.deployment.rasa_process run …` is `rasa run …`),
with the fixes our servers need for Rasa 3.6.21 applied first.

- The action server's answer is checked against Rasa's response schema on every custom
  action. Rasa does it with `jsonschema.validate`, which checks the schema itself again each
  time: about a fifth of Rasa's CPU time under load (py-spy, issue 12). The answer is checked
  the same way here, with a validator built once.
- `GET /ready`: ready only after a warm-up (bot/deployment/readiness.py).
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any, Dict


@lru_cache(maxsize=1)
def _action_response_validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)  # once, not per action call
    return cls(schema)


def _validate_action_result(self, result: Dict[str, Any]) -> bool:
    from jsonschema.exceptions import best_match

    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            f"the Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _with_readiness(configure_app):
    def configure_app_with_readiness(*args, **kwargs):
        from bot.deployment.readiness import add_readiness

        app = configure_app(*args, **kwargs)
        add_readiness(app)
        return app

    return configure_app_with_readiness


def apply_fixes() -> None:
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result
    # serve_application calls the module's configure_app, so the readiness is added there.
    rasa.core.run.configure_app = _with_readiness(rasa.core.run.configure_app)


def main() -> None:
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
