"""With CI=true a test whose service is missing fails; locally it is skipped with the reason."""
import pytest
from _pytest.outcomes import Failed, Skipped

from tests.conftest import free_port, require_service


def test_missing_service_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="KEIN Testdienst"):
        require_service("Testdienst", free_port())  # a free port: nobody listens there


@pytest.mark.parametrize("value", ["", "false", "0"])
def test_missing_service_is_skipped_outside_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(Skipped, match="KEIN Testdienst"):
        require_service("Testdienst", free_port())
