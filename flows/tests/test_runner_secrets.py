"""The runner keeps its secrets and its event stream from the processes its flow starts.

Real processes only: the runner runs as an unprivileged uid (root may read any /proc file,
so a root runner would prove nothing), its flow starts a probe script twice (through
`run_python`, and through a plain `subprocess.run(close_fds=False)`), and the probe tries
every way the SDK is meant to close: the runner's /proc environ, its fds (the private event
stream among them), its memory, the key in its own environment. A control run shows the same
probe does find the key and open the fds of an unprotected parent of the same uid.

A ServiceAccount token is not the SDK's to hide (a mounted token file is readable by the
uid): the protection there is that the operator mounts none into the agent's Pod, which the
operator's tests check.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import uuid
from typing import Any, Dict, List, Optional

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_support import FakeLlmServer  # noqa: E402
from sdk_support import FLOWS_DIR  # noqa: E402

from herologic.assemble import PlayAssembler  # noqa: E402

UNPRIVILEGED = 65532  # the uid flow Pods run as

PROBE = r'''
"""Tries to reach what a process started by a flow must not reach; prints one JSON report."""
import errno, json, os, sys

runner = int(sys.argv[1])
runner_fds = json.loads(sys.argv[2])
report = {"pid": os.getpid(), "ppid": os.getppid()}
# First, before this process opens anything itself: which of the runner's fd numbers are open here?
report["inherited"] = []
for fd in runner_fds:
    if fd > 2:
        try:
            os.fstat(fd)
            report["inherited"].append(fd)
        except OSError:
            pass


def attempt(what, action):
    try:
        report[what] = {"ok": True, "got": action()}
    except OSError as exc:
        report[what] = {"ok": False, "errno": errno.errorcode.get(exc.errno, exc.errno)}


def read(path):
    with open(path, "rb") as handle:
        return handle.read(4096).decode("utf-8", "replace")


for pid in sorted({runner, os.getppid()}):
    attempt(f"environ {pid}", lambda: read(f"/proc/{pid}/environ"))
attempt("list fds", lambda: sorted(os.listdir(f"/proc/{runner}/fd")))
attempt("mem", lambda: read(f"/proc/{runner}/mem"))
FORGED = ('@@herologic@@ {"v":1,"seq":900000,"ts":1.0,"type":"span_start","span_id":"f0f0f0f0f0f0f0f0",'
          '"parent_id":null,"name":"not-from-the-runner","kind":"step","tags":{}}\n')
for fd in runner_fds:
    def write_event(fd=fd):
        out = os.open(f"/proc/{runner}/fd/{fd}", os.O_WRONLY)
        try:
            return os.write(out, FORGED.encode())
        finally:
            os.close(out)
    attempt(f"write fd {fd}", write_event)
report["env key"] = os.environ.get("HEROLOGIC_LLM_API_KEY")
try:
    from herologic import settings
    report["sdk key"] = settings.secret("HEROLOGIC_LLM_API_KEY")
except ImportError as exc:
    report["sdk key"] = f"no SDK: {exc}"
print(json.dumps(report))
'''

FLOW = '''
import json, os, subprocess, sys, urllib.request
from herologic import flow, llm_settings, run_python

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "probe.py")


def last_json_line(text):
    return json.loads(text.strip().splitlines()[-1])


def open_fds():
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            fds[int(fd)] = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:  # the fd listdir itself used
            pass
    return fds


@flow(name="secrets_probe", inputs={"llm_url": {"type": "string"}})
def secrets_probe(llm_url):
    fds = open_fds()
    args = [str(os.getpid()), json.dumps(sorted(fds))]
    through_sdk = run_python(PROBE, timeout=30, args=args, span_name="probe via run_python")
    plain = subprocess.run([sys.executable, PROBE, *args], capture_output=True, text=True,
                           close_fds=False, timeout=30)
    # The flow itself, in the runner process, still has the key: through the SDK.
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(llm_url + "/chat/completions", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer " + llm_settings().api_key})
    with urllib.request.urlopen(request, timeout=10) as response:
        llm_status = response.status
    return {"runner_pid": os.getpid(), "runner_fds": {str(k): v for k, v in fds.items()},
            "run_python": last_json_line(through_sdk.stdout), "subprocess": last_json_line(plain.stdout),
            "llm_status": llm_status, "key_in_environ": "HEROLOGIC_LLM_API_KEY" in os.environ}
'''


def _identity() -> Optional[int]:
    """The uid to run the runner as: UNPRIVILEGED when the tests run as root, else our own."""
    return UNPRIVILEGED if os.geteuid() == 0 else None


def _python_for(uid: Optional[int]) -> str:
    """An interpreter the runner's uid may execute (this one may live in root's home)."""
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3", "/usr/local/bin/python3"):
        if not candidate or not os.path.isfile(candidate):
            continue
        try:
            probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info >= (3, 9)"],
                                   user=uid, group=uid, capture_output=True, cwd="/")
        except PermissionError:  # e.g. under /root
            continue
        if probe.returncode == 0:
            return candidate
    raise AssertionError(f"no Python 3.9+ that uid {uid} may run: the secrets tests need one")


@pytest.fixture(scope="module")
def sandbox():
    """A directory the unprivileged uid can read, holding a copy of the SDK, the flow and the probe."""
    directory = tempfile.mkdtemp(prefix="herologic-secrets-")
    os.chmod(directory, 0o755)
    shutil.copytree(os.path.join(FLOWS_DIR, "herologic"), os.path.join(directory, "herologic"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name, text in (("flow.py", FLOW), ("probe.py", PROBE)):
        with open(os.path.join(directory, name), "w") as handle:
            handle.write(textwrap.dedent(text))
    for root, dirs, files in os.walk(directory):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _env(sandbox: str, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEROLOGIC_", "KUBERNETES_", "PYTHON"))}
    env.update(PYTHONPATH=sandbox, PYTHONDONTWRITEBYTECODE="1", HOME=sandbox, **extra)
    return env


class Finished:
    """A process run to the end as the runner's uid: exit code, output, and the pipe that was
    its stdout. Its stdout and stderr pipes belong to that uid, as a Pod's do to the Pod's user:
    a pipe root owns could not be opened through /proc by another uid anyway, and the test
    would prove nothing about the runner."""

    def __init__(self, argv: List[str], env: Dict[str, str]) -> None:
        uid = _identity()
        ends = [os.pipe(), os.pipe()]
        for _, write_end in ends:
            if uid is not None:
                os.fchown(write_end, uid, uid)
        self.stdout_pipe = f"pipe:[{os.fstat(ends[0][1]).st_ino}]"
        proc = subprocess.Popen([_python_for(uid), *argv], env=env, user=uid, group=uid, cwd="/",
                                stdout=ends[0][1], stderr=ends[1][1])
        for _, write_end in ends:
            os.close(write_end)
        texts: Dict[int, str] = {}

        def drain(index: int, fd: int) -> None:
            with open(fd, encoding="utf-8", errors="replace") as handle:
                texts[index] = handle.read()

        readers = [threading.Thread(target=drain, args=(i, ends[i][0])) for i in (0, 1)]
        for reader in readers:
            reader.start()
        try:
            proc.wait(timeout=90)
        finally:
            proc.kill()
            for reader in readers:
                reader.join(10)
        self.returncode = proc.returncode
        self.stdout, self.stderr = texts.get(0, ""), texts.get(1, "")

    def status(self, name: str) -> Dict[str, Any]:
        """The run as the operator would show it (`status` of the Play)."""
        return PlayAssembler(name).feed_lines(self.stdout.splitlines()).play()["status"]


def test_processes_a_flow_starts_cannot_reach_the_key_or_the_event_stream(sandbox, tmp_path):
    key = f"sk-test-{uuid.uuid4().hex}"
    with FakeLlmServer(["fine"], api_key=key, script_dir=str(tmp_path)) as llm:
        env = _env(sandbox, HEROLOGIC_LLM_API_KEY=key, HEROLOGIC_LLM_BASE_URL=llm.base_url,
                   HEROLOGIC_INPUTS=json.dumps({"llm_url": llm.base_url}))
        proc = Finished(["-m", "herologic.runner", os.path.join(sandbox, "flow.py")], env)
        authorised = llm.chat_requests()
    described = f"exit {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-2000:]}"
    status = proc.status("secrets")
    assert proc.returncode == 0 and status["phase"] == "Succeeded", described

    # Nothing of the key anywhere in what the Play shows, nor a span the runner did not open.
    assert key not in proc.stdout and key not in proc.stderr
    assert "f0f0f0f0f0f0f0f0" not in proc.stdout and "not-from-the-runner" not in proc.stdout
    names = sorted(span["name"] for span in status["spans"])
    assert names == ["probe via run_python", "secrets_probe"], names
    warnings = [line for span in status["spans"] for line in span.get("logs", []) if "non-dumpable" in str(line)]
    assert warnings == []

    output = status["output"]
    # The positive path: the flow used the key (the fake LLM checks it) although its environment lacks it.
    assert output["llm_status"] == 200 and len(authorised) == 1 and output["key_in_environ"] is False
    runner = output["runner_pid"]
    # The private event fd: the runner's own dup of the stdout it was started with (fd 1 itself
    # now feeds its output capture). It is among the fds the probe tried.
    event_fds = [fd for fd, target in output["runner_fds"].items() if target == proc.stdout_pipe]
    assert len(event_fds) == 1 and int(event_fds[0]) > 2, (proc.stdout_pipe, output["runner_fds"])
    for how in ("run_python", "subprocess"):
        report = output[how]
        assert report["ppid"] == runner, report
        assert report["inherited"] == [], f"{how}: runner fds open in the child: {report['inherited']}"
        assert report[f"environ {runner}"] == {"ok": False, "errno": "EACCES"}, report
        assert report["list fds"] == {"ok": False, "errno": "EACCES"}, report
        assert report["mem"] == {"ok": False, "errno": "EACCES"}, report
        for fd in output["runner_fds"]:
            assert report[f"write fd {fd}"] == {"ok": False, "errno": "EACCES"}, (how, fd, report)
        assert report["env key"] is None and report["sdk key"] is None, report


def test_control_an_unprotected_parent_of_the_same_uid_is_open_to_the_probe(sandbox):
    # Proves the probe and this machine can see a leak: without the runner's protection the same
    # uid reads the parent's environment and writes into its fds.
    key = f"sk-control-{uuid.uuid4().hex}"
    parent = textwrap.dedent(f'''
        import json, os, subprocess, sys
        probe = subprocess.run([sys.executable, {os.path.join(sandbox, "probe.py")!r}, str(os.getpid()), "[1]"],
                               capture_output=True, text=True)
        print(probe.stdout.strip().splitlines()[-1])
    ''')
    proc = Finished(["-c", parent], _env(sandbox, HEROLOGIC_LLM_API_KEY=key))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    environ = report[f"environ {report['ppid']}"]
    assert environ["ok"] and f"HEROLOGIC_LLM_API_KEY={key}" in environ["got"]
    assert report["write fd 1"]["ok"] and report["env key"] == key, {k: v for k, v in report.items() if k != f"environ {report['ppid']}"}


def test_without_prctl_the_runner_says_so_and_runs(sandbox):
    # A ctypes that cannot be imported stands for a system without prctl.
    shadow = os.path.join(sandbox, "no-ctypes")
    os.makedirs(shadow, mode=0o755, exist_ok=True)
    for name, text in (("ctypes.py", "raise ImportError('ctypes is not built in this Python')\n"),
                       ("hello.py", "from herologic import flow\n\n@flow\ndef hello():\n    return 'still ran'\n")):
        with open(os.path.join(shadow, name), "w") as handle:
            handle.write(text)
        os.chmod(os.path.join(shadow, name), 0o644)
    flow = os.path.join(shadow, "hello.py")
    env = _env(sandbox)
    env["PYTHONPATH"] = os.pathsep.join([shadow, sandbox])
    proc = Finished(["-m", "herologic.runner", flow], env)
    status = proc.status("hello")
    assert proc.returncode == 0 and status["phase"] == "Succeeded", proc.stdout + proc.stderr
    assert status["output"] == "still ran"
    root = next(span for span in status["spans"] if span["name"] == "hello")
    warnings = [line for line in root["logs"] if "non-dumpable" in str(line)]
    assert len(warnings) == 1, root["logs"]
    assert "prctl is not available: ctypes is not built in this Python" in str(warnings[0])
