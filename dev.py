#!/usr/bin/env python3
"""Set up and run Rongcuo with nothing but Python >= 3.11.

    python3 dev.py run [ADDRESS]  # create/reuse .venv, install, migrate, load the calendar and the demo data,
                                  # serve on ADDRESS (default 127.0.0.1:8000; SQLite unless DATABASE_URL is set)
    python3 dev.py test [ARGS]    # create/reuse .venv, install, run ruff, mypy, import-linter and the whole suite
                                  # (ARGS go to pytest; as root, apt-installs chromium, CJK fonts and poppler
                                  # for the browser and letter tests)

Both commands create `.venv` beside this file the first time and reuse it afterwards; dependencies are
reinstalled only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".rongcuo-installed"
EXTRAS = "dev,bench"


def say(msg: str) -> None:
    print(f"[dev] {msg}", flush=True)


def run(*cmd: str | Path, check: bool = True) -> int:
    proc = subprocess.run([str(c) for c in cmd], cwd=ROOT)
    if check and proc.returncode != 0:
        sys.exit(proc.returncode)
    return proc.returncode


def quiet(*cmd: str | Path) -> None:
    """Run a setup step with its output captured; show the output only if the step fails, then stop."""
    proc = subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        say(f"failed ({proc.returncode}): {' '.join(str(c) for c in cmd)}")
        sys.exit(proc.returncode)


def ensure_env(*, browser: bool = False) -> None:
    if browser:
        ensure_browser()
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit("Rongcuo needs Python >= 3.11 / 需要 Python 3.11 或更高版本")
    if not PY.exists():
        say(f"creating virtualenv {VENV}")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return
    say("installing dependencies (first run or pyproject.toml changed)")
    quiet(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    quiet(PY, "-m", "pip", "install", "-q", "-e", f".[{EXTRAS}]")
    STAMP.write_text(want)


CHROMIUM = Path("/usr/bin/chromium")
# Debian packages the tests use, each with a file that shows it is there.
SYSTEM_PACKAGES = {
    "chromium": CHROMIUM,  # browser tests drive Debian's Chromium, never a downloaded browser build
    "fonts-noto-cjk": Path("/usr/share/fonts/opentype/noto"),  # Chinese renders as text, not boxes
    "poppler-utils": Path("/usr/bin/pdftotext"),  # the letter tests read the PDF back
    "poppler-data": Path("/usr/share/poppler/cMap"),  # …including its Chinese (CID) text
}


def ensure_browser() -> None:
    """Install the Debian packages the tests need, when missing and we may (root with apt-get); otherwise
    the tests that need them are skipped and say why."""
    missing = [pkg for pkg, marker in SYSTEM_PACKAGES.items() if not marker.exists()]
    if not missing:
        return
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        say(f"missing Debian packages {' '.join(missing)} and apt-get cannot run here as root: the tests that "
            "need them will be skipped")
        return
    say(f"installing Debian packages for the browser and letter tests: apt-get install -y {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], cwd=ROOT, env=env, check=False)
    proc = subprocess.run(["apt-get", "install", "-y", "-qq", *missing], cwd=ROOT, env=env, check=False)
    if proc.returncode != 0 or not CHROMIUM.exists():
        say("apt-get could not install everything: the tests that need it will be skipped")


AXE_DIR = ROOT / "tests" / "browser" / "axe"


def ensure_axe() -> None:
    """axe-core for the accessibility checks, from npm with its lock file (npm ci), once."""
    if (AXE_DIR / "node_modules" / "axe-core" / "axe.min.js").exists():
        return
    npm = shutil.which("npm")
    if not npm:
        say("npm is missing: the accessibility checks will be skipped")
        return
    say("installing axe-core for the accessibility checks: npm ci (tests/browser/axe)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, check=False)


# The demo accounts to start with (all of them: README.md, "Demo accounts"), all in Zhejiang: an applicant, the
# bureau's caseworker, an expert with a review waiting and the committee with a case to decide.
DEMO_ACCOUNTS = [
    ("chen", "申请人 applicant (陈研究员, 浙江某大学): /my/ to apply, /self-check/ first"),
    ("zj_caseworker", "经办人 caseworker, 浙江省科学技术厅: the work queue /work/"),
    ("expert_li", "专家 expert: a review waiting on /expert/"),
    ("zj_committee", "集体审定 committee, 浙江省科学技术厅: a case waiting for its decision on /work/"),
]


def manage_quiet(*args: str) -> None:
    quiet(PY, ROOT / "manage.py", *args)


def answers(addr: str) -> bool:
    """Whether something accepts connections on `addr` (HOST:PORT; a wildcard host is asked on loopback)."""
    host, _, port = addr.rpartition(":")
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host.strip("[]"), host.strip("[]"))
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except (OSError, ValueError):
        return False


def wait_for_server(server: subprocess.Popen[bytes], addr: str, timeout: float = 60) -> bool:
    """True once the server accepts connections on `addr`; False if it exits first or does not come up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        if answers(addr):
            return True
        time.sleep(0.2)
    return False


def cmd_run(args: list[str]) -> None:
    ensure_env()
    addr = args[0] if args else "127.0.0.1:8000"
    if ":" not in addr:  # runserver takes a bare port too
        addr = f"127.0.0.1:{addr}"
    if answers(addr):
        sys.exit(f"[dev] something already answers on {addr}: stop it, or give another address "
                 "(python3 dev.py run 127.0.0.1:8001)")
    say("preparing the database: migrations, official calendar, demo data")
    manage_quiet("migrate", "--no-input", "-v", "0")
    manage_quiet("calendar_load", "--seed", "-v", "0")
    manage_quiet("demo_load", "-v", "0")
    def stopped(signum: int, frame: object) -> None:  # stopped by a supervisor (SIGTERM): as for Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stopped)
    # The background worker beside the server (notification e-mail, sent after each change commits): quiet unless
    # a task fails; its warnings and errors are this terminal's too. Stopped with the server.
    worker = subprocess.Popen([str(PY), str(ROOT / "manage.py"), "db_worker", "--no-reload", "--verbosity", "0",
                               "--no-startup-delay"], cwd=ROOT)
    # Django's development server, in the foreground: its request log and any errors are this terminal's output.
    server = subprocess.Popen([str(PY), str(ROOT / "manage.py"), "runserver", addr, "--noreload", "--skip-checks"],
                              cwd=ROOT)
    try:
        if wait_for_server(server, addr):
            width = max(len(name) for name, _ in DEMO_ACCOUNTS)
            mail = os.environ.get("RONGCUO_EMAIL_HOST")
            files = os.environ.get("RONGCUO_EMAIL_FILE_DIR", str(ROOT / "var" / "mail"))
            lines = [f"Rongcuo is running at http://{addr}/  (Ctrl-C stops it)",
                     "sign in with one of these demo accounts, password rongcuo-demo (every account: README.md):",
                     *(f"  {name:<{width}}  {what}" for name, what in DEMO_ACCOUNTS),
                     "logs: the server's requests and errors are printed in this terminal (no log file)",
                     "notification e-mail: sent by a background worker "
                     + (f"through {mail}" if mail else f"into files in {files} (no SMTP server set)")]
            print("\n" + "\n".join(f"[dev] {line}" for line in lines) + "\n", flush=True)
        code = server.wait()
    except KeyboardInterrupt:  # Ctrl-C in a terminal reaches the server too; stop it if it did not
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.terminate()
        code = server.wait()
    finally:
        stop(worker)
    sys.exit(code)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a child process (Ctrl-C may have reached it already): asked first, then made to."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cmd_test(args: list[str]) -> None:
    ensure_env(browser=True)
    ensure_axe()
    say("ruff")
    run(BIN / "ruff", "check", "src", "tests", "bench", "dev.py")
    say("mypy (strict on the engine)")
    run(BIN / "mypy")
    say("import-linter (the engine is pure; apps import only the layers below them; no import cycles)")
    run(BIN / "lint-imports", "--no-cache")
    # On every core (pytest-xdist): the browser journeys on one worker (one Chromium), the longest tests first
    # (conftest.py); `dev.py test -n 0` (or any -n) decides the number of processes instead.
    parallel = [] if any(a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in args) else [
        "-n", "auto", "--dist", "loadgroup"]
    say("pytest")
    code = run(PY, "-m", "pytest", *parallel, *args, check=False)
    if code == 5:  # no tests collected is a failure for us, never a silent pass
        say("pytest collected no tests")
        sys.exit(1)
    sys.exit(code)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test"}:
        print(__doc__)
        sys.exit(2)
    {"run": cmd_run, "test": cmd_test}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
