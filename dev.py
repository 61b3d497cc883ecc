#!/usr/bin/env python3
"""Set up and run Rongcuo with nothing but Python >= 3.11.

    python3 dev.py run    # create/reuse .venv, install, migrate, load demo data, serve on 127.0.0.1:8000 (SQLite)
    python3 dev.py test   # create/reuse .venv, install, run ruff, mypy and the whole test suite
                          # (as root, apt-installs chromium, CJK fonts and poppler for the browser tests)

Both commands create `.venv` beside this file the first time and reuse it afterwards; dependencies are
reinstalled only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
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
    run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "-q", "-e", f".[{EXTRAS}]")
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


def manage(*args: str) -> None:
    run(PY, ROOT / "manage.py", *args)


def cmd_run(args: list[str]) -> None:
    ensure_env()
    rc = BIN / "rongcuo"
    say("policy packs and a comparison on the command line:")
    run(rc, "packs", "list")
    run(rc, "compare", ROOT / "examples" / "milestone-failure.json")
    say("database (SQLite by default; DATABASE_URL for PostgreSQL): migrations, official calendar, demo data")
    manage("migrate", "--no-input", "-v", "0")
    manage("calendar_load", "--seed")
    manage("demo_load")
    addr = args[0] if args else "127.0.0.1:8000"
    say(f"serving on http://{addr}/  (API docs: /api/docs · admin: /admin/ · demo password: rongcuo-demo)")
    manage("runserver", addr, "--noreload")


def cmd_test(args: list[str]) -> None:
    ensure_env(browser=True)
    ensure_axe()
    say("ruff")
    run(BIN / "ruff", "check", "src", "tests", "bench", "dev.py")
    say("mypy (strict on the engine)")
    run(BIN / "mypy")
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
