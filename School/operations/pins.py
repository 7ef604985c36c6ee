"""Which pins of requirements*.txt are behind the package index, and by how much.

Read by `manage.py outdated` (docs/operators.md, "Upgrading"). The newest
release is asked of pip itself (`pip index versions`), so the index, proxy and
certificates configured for pip on the machine are the ones asked, and nothing
here names a host.

A pin that is kept back on purpose says why in a comment on the line just
above it, starting with `# held back:`; the report shows that reason, so an
operator does not chase the same upgrade at every look.
"""

import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")
HELD = re.compile(r"^\s*#\s*held back:\s*(.+)$", re.IGNORECASE)
INCLUDE = re.compile(r"^\s*-r\s+(\S+)")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    file: str
    held_back: str = ""


@dataclass(frozen=True)
class Behind:
    pin: Pin
    newest: str
    change: str  # "major", "minor" or "patch"


class IndexUnavailable(Exception):
    """pip could not tell the newest release of a package."""


def read_pins(path):
    """Every `name==version` of a requirements file and of the files it includes with -r, once each."""
    pins, seen = [], set()
    _read(Path(path), pins, seen)
    return pins


def _read(path, pins, seen):
    if path.resolve() in seen:
        return
    seen.add(path.resolve())
    held = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        include = INCLUDE.match(line)
        if include:
            _read(path.parent / include.group(1), pins, seen)
            continue
        reason = HELD.match(line)
        if reason:
            held = reason.group(1).strip()
            continue
        pin = PIN.match(line)
        if pin:
            pins.append(Pin(pin.group(1), pin.group(3), path.name, held))
        if line.strip() and not line.lstrip().startswith("#"):
            held = ""


def change_kind(pinned, newest):
    """The first part of the release number that differs: a major change may break what uses it."""
    old, new = Version(pinned).release, Version(newest).release
    if old[:1] != new[:1]:
        return "major"
    if old[:2] != new[:2]:
        return "minor"
    return "patch"


def newest_release(name):
    """The newest final release of a package on the index pip is configured to use."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", name, "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=120,
    )
    for line in result.stdout.splitlines():
        if line.startswith("Available versions:"):
            versions = []
            for text in line.split(":", 1)[1].split(","):
                try:
                    versions.append(Version(text.strip()))
                except InvalidVersion:
                    continue
            finals = [v for v in versions if not v.is_prerelease and not v.is_devrelease]
            if finals:
                return str(max(finals))
    last = (result.stderr.strip().splitlines() or ["no answer"])[-1]
    raise IndexUnavailable(f"{name}: {last}")


def behind(pins, newest=None, jobs=8):
    """The pins older than the newest release, in the order of the files.

    `newest(name)` (default: ask pip) may raise IndexUnavailable.
    """
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        latest = list(pool.map(newest or newest_release, [pin.name for pin in pins]))
    return [
        Behind(pin, new, change_kind(pin.version, new))
        for pin, new in zip(pins, latest)
        if Version(new) > Version(pin.version)
    ]
