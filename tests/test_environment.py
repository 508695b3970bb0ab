"""One source of truth for dependencies: pyproject.toml pins, environment.yml and the lock agree."""

import re
import subprocess
import sys
import tomllib

from conftest import REPO


def _pyproject_pins() -> dict[str, str]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extras = data["project"]["optional-dependencies"]
    specs = data["project"]["dependencies"] + extras["test"] + extras["pdf"] + extras["docx"]
    pins = {}
    for spec in specs:
        name, sep, version = spec.partition("==")
        assert sep, f"pyproject.toml dependency {spec!r} is not pinned with =="
        pins[name.lower()] = version
    return pins


def _environment_pins() -> tuple[dict[str, str], list[str]]:
    pins, others = {}, []
    in_pip = False
    for line in (REPO / "environment.yml").read_text(encoding="utf-8").splitlines():
        if line.strip() == "- pip:":
            in_pip = True
            continue
        match = re.fullmatch(r"\s+- (\S+)==(\S+)", line)
        if in_pip and match:
            pins[match.group(1).lower()] = match.group(2)
        elif in_pip and line.strip().startswith("- "):
            others.append(line.strip()[2:])
    return pins, others


def _lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


def test_environment_yml_pins_exactly_what_pyproject_pins():
    env_pins, others = _environment_pins()
    assert env_pins == _pyproject_pins()
    assert others == ["-e ."]


def test_lock_holds_every_direct_pin_at_the_same_version():
    lock = _lock_pins()
    for name, version in _pyproject_pins().items():
        assert lock.get(name) == version, f"requirements.lock has {name}=={lock.get(name)}"


def test_importing_nbformat_compiles_no_grammar():
    """jsonschema 4.25+ imports rfc3987-syntax, whose grammars take 0.7 s to compile on every
    import of nbformat (so of every build); pyproject.toml holds jsonschema at 4.24."""
    script = "import sys, nbformat; print('rfc3987_syntax' in sys.modules, 'lark' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout == "False False\n", done.stderr
