"""The container's health check asks the server its container runs (bot/deployment/healthcheck.py);
tests/test_container_images.py runs it inside the image."""
from bot.deployment.healthcheck import health_url


def test_the_action_server_is_asked_on_its_port():
    assert health_url("python -m rasa_sdk --actions actions --port 6011") == "http://127.0.0.1:6011/health"


def test_rasa_is_asked_on_the_configured_port(monkeypatch):
    from bot.config import get_settings

    monkeypatch.setenv("ASSKOMM_RASA_PORT", "6010")
    get_settings.cache_clear()
    try:
        assert health_url("python -m bot.deployment.serve_rasa") == "http://127.0.0.1:6010/"
    finally:
        get_settings.cache_clear()
