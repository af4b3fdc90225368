"""The two locks stay apart: requirements.txt (runtime, the only one the container image
installs) and requirements-test.txt (test tools, .venv only). A test tool that slips into the
runtime lock ends up in every production image; a direct dependency missing from its lock is
installed unpinned."""
import re
from pathlib import Path

from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        package, _, version = line.partition("==")
        found[canonicalize_name(package)] = version
    return found


def test_runtime_and_test_locks_do_not_overlap():
    assert not set(pins("requirements.txt")) & set(pins("requirements-test.txt"))


def test_every_direct_dependency_is_pinned_in_its_own_lock():
    runtime, tests = pins("requirements.txt"), pins("requirements-test.txt")
    for package, version in pins("requirements.in").items():
        assert runtime.get(re.sub(r"\[.*\]", "", package)) == version, package
    for package, version in pins("requirements-test.in").items():
        assert tests.get(package) == version, package
        assert package not in runtime, f"{package} ist ein Testwerkzeug und gehört nicht ins Image"


def test_locks_pin_every_package_exactly():
    for name in ("requirements.txt", "requirements-test.txt"):
        assert all(re.fullmatch(r"\d[\w.+!-]*", v) for v in pins(name).values()), name
