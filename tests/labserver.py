"""``kawaeval lab`` started for real: JupyterLab on a free port, a kernel the server starts for a
chapter, and code run in that kernel (as an analyst's cell would be)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

TOKEN = "kawaeval-test"


def api(url: str, method: str = "GET", body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read().decode()
    return json.loads(text) if text else {}


@contextmanager
def lab_server(command: list[str], project: Path, scratch: Path, env: dict[str, str]):
    """Run ``command`` (``kawaeval lab PROJECT``) with a free port and a known token; yields
    (the server's base URL, its runtime folder, what the command printed so far)."""
    runtime = scratch / "runtime"
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **env,
        "HOME": str(home),  # JupyterLab's settings and workspaces, not the user's
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
    }
    command = [
        *command,
        "--no-browser",
        "--ServerApp.port=0",  # the system picks a free one: no fixed ports between tests
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={TOKEN}",
        *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),  # CI
    ]
    log = scratch / "lab.log"
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not list(runtime.glob("jpserver-*.json")):
            assert process.poll() is None, log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written whole before the server answers
        (info,) = runtime.glob("jpserver-*.json")
        server = json.loads(info.read_text(encoding="utf-8"))
        yield f"http://127.0.0.1:{server['port']}", runtime, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_in_chapter_kernel(base: str, runtime: Path, notebook: str, code: str) -> str:
    """Open ``notebook`` as JupyterLab does (a session and its kernel), run ``code`` there;
    what it printed."""
    from jupyter_client import BlockingKernelClient

    session = api(
        f"{base}/api/sessions",
        "POST",
        {"path": notebook, "type": "notebook", "name": notebook, "kernel": {"name": "python3"}},
    )
    kernel = session["kernel"]["id"]
    client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel}.json"))
    client.load_connection_file()
    client.start_channels(hb=False)  # a busy machine delays heartbeats; replies are enough
    printed = []

    def keep(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            printed.append("\n".join(message["content"]["traceback"]))

    try:
        client.wait_for_ready(timeout=120)
        client.execute_interactive(code, timeout=120, output_hook=keep)
    finally:
        client.stop_channels()
        api(f"{base}/api/sessions/{session['id']}", "DELETE")
    return "".join(printed)


# What a chapter's kernel reports: where it runs, where the defaults point, the FY2021 share.
PROBE = (
    "import os, kawaeval, kawaeval.paths as p\n"
    "print(os.getcwd())\n"
    "print(p.default_raw_dir())\n"
    "print(kawaeval.__file__)\n"
    "print(kawaeval.assess(2021)['program']['shares_pct']['on_target'])\n"
)


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: no project chosen, no virtualenv activated."""
    env = dict(os.environ)
    for name in ("KAWAEVAL_HOME", "VIRTUAL_ENV", "PYTHONPATH", "SOURCE_DATE_EPOCH"):
        env.pop(name, None)
    return env
