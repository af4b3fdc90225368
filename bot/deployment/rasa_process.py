"""Rasa's own command line (`python -m bot.deployment.rasa_process run …` is `rasa run …`),
with the fixes our servers need for Rasa 3.6.21 applied first.

- The action server's answer is checked against Rasa's response schema on every custom
  action. Rasa does it with `jsonschema.validate`, which checks the schema itself again each
  time: about a fifth of Rasa's CPU time under load (py-spy, issue 12). The answer is checked
  the same way here, with a validator built once.
- With ASSKOMM_RASA_SHARE_PORT=true the server socket is opened with SO_REUSEPORT, so
  replicas on the host's network share one port (deploy/kube-play/, bot/config.py).
- When the action server cannot be reached (stopped, restarting, overloaded), Rasa logs the
  error and the user gets no answer at all. Here the user is told in German that this part
  is temporarily unavailable (bot/deployment/action_failures.py).
- Rasa's API token and JWT secret are added to Rasa's arguments inside this process, from the
  settings (environment), so they never appear in the process list (`ps`, /proc/<pid>/cmdline).
- `GET /ready`: ready only after a warm-up (bot/deployment/readiness.py).
- A prediction costs no more late in a long conversation than early: the policies read a window
  of the last states (bot/deployment/policy_window.py), and the replay of the session behind
  applied events, copies and those states is carried over between calls
  (bot/deployment/replay_cache.py).
- DIET's batches of sparse features are built without a loop over their messages
  (bot/nlp/sparse_batches.py), and its balanced batching picks indices instead of slicing
  every feature array (bot/nlp/balanced_batches.py): the same arrays, a faster `rasa train`.
- The spaCy pipeline is loaded once per process, not once per graph node
  (bot/nlp/shared_spacy.py), and jax is not imported (see `keep_jax_out`): about 200 MB less
  resident per Rasa process.
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


def _share_port() -> None:
    import sanic.app

    serve_single = sanic.app.serve_single

    def serve_single_on_shared_port(server_settings: Dict[str, Any]) -> None:
        serve_single({**server_settings, "reuse_port": True})

    sanic.app.serve_single = serve_single_on_shared_port


def _with_readiness(configure_app):
    def configure_app_with_readiness(*args, **kwargs):
        from bot.deployment.readiness import add_readiness

        app = configure_app(*args, **kwargs)
        add_readiness(app)
        return app

    configure_app_with_readiness.adds_readiness = True  # type: ignore[attr-defined]
    return configure_app_with_readiness


def apply_fixes() -> None:
    import rasa.core.run
    from rasa.core.actions.action import RemoteAction

    from bot.config import get_settings
    from bot.deployment.action_failures import run_or_apologise
    from bot.deployment.policy_window import limit_policy_states
    from bot.nlp.balanced_batches import use_index_balanced_batches
    from bot.nlp.shared_spacy import share_spacy_pipelines
    from bot.nlp.sparse_batches import use_vectorized_sparse_batches

    RemoteAction._validate_action_result = _validate_action_result
    use_vectorized_sparse_batches()
    use_index_balanced_batches()
    share_spacy_pipelines()
    limit_policy_states()
    if not getattr(RemoteAction.run, "apologises", False):
        RemoteAction.run = run_or_apologise(RemoteAction.run)
    if get_settings().rasa_share_port:
        _share_port()
    # serve_application calls the module's configure_app, so the readiness is added there.
    # Once per process, like the action fix above: a second wrapper would add /ready twice.
    if not getattr(rasa.core.run.configure_app, "adds_readiness", False):
        rasa.core.run.configure_app = _with_readiness(rasa.core.run.configure_app)


def secret_arguments(argv: list[str]) -> list[str]:
    """`--auth-token` / `--jwt-secret` for `rasa run --enable-api`, from the settings."""
    if argv[1:2] != ["run"] or "--enable-api" not in argv:
        return []
    from bot.config import get_settings

    settings = get_settings()
    token, jwt_secret = settings.rasa_api_token.get_secret_value(), settings.rasa_jwt_secret.get_secret_value()
    return (["--auth-token", token] if token else []) + (["--jwt-secret", jwt_secret] if jwt_secret else [])


def keep_jax_out() -> None:
    """TensorFlow 2.12 imports jax when it is installed (tensorflow requires it), only for
    converting jax functions to TensorFlow Lite, which Rasa never does: 65 MB resident and a
    second of start-up. TensorFlow's own `except ImportError` then leaves it out. Must run
    before TensorFlow is imported."""
    if "tensorflow" not in sys.modules:
        sys.modules.setdefault("jax", None)  # type: ignore[arg-type]  # None: "import jax" fails


def main() -> None:
    keep_jax_out()
    apply_fixes()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    sys.argv += secret_arguments(sys.argv)  # only in this process's memory, not in its command line
    rasa_main()


if __name__ == "__main__":
    main()
