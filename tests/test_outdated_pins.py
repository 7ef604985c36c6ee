"""`manage.py outdated`: which pins are behind, read from the project's own files.

The index is never asked here (what it publishes tomorrow must not fail
today's build): the newest releases are given by the test.
"""

import pytest
from django.core.management import CommandError, call_command

from School.operations import pins
from tests.conftest import ROOT


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_every_requirement_line_is_a_pin_the_checker_reads():
    # A line the checker cannot read would be a dependency nobody is told to upgrade.
    read = pins.read_pins(ROOT / "requirements-dev.txt")
    lines = [
        line for name in ("requirements.txt", "requirements-dev.txt")
        for line in (ROOT / name).read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-r"))
    ]
    assert len(read) == len(lines)
    assert {pin.file for pin in read} == {"requirements.txt", "requirements-dev.txt"}
    assert "Django" in {pin.name for pin in read}


def test_includes_extras_and_held_back_reasons(tmp_path):
    write(tmp_path / "base.txt", "# the web\nDjango==5.2.1\nredis[hiredis]==5.2.1 ; python_version >= '3.10'\n")
    dev = write(tmp_path / "dev.txt", (
        "-r base.txt\n"
        "# held back: 4.52 needs a certifi the index lacks\n"
        "selenium==4.51.0\n"
        "pytest==9.0.0\n"
    ))
    read = pins.read_pins(dev)
    assert [(p.name, p.version, p.file) for p in read] == [
        ("Django", "5.2.1", "base.txt"), ("redis", "5.2.1", "base.txt"),
        ("selenium", "4.51.0", "dev.txt"), ("pytest", "9.0.0", "dev.txt"),
    ]
    assert read[2].held_back == "4.52 needs a certifi the index lacks"
    assert read[3].held_back == "", "a reason belongs to the one pin under it"


@pytest.mark.parametrize("pinned,newest,kind", [
    ("12.0.0", "13.0.0", "major"), ("4.20.0", "4.21.0", "minor"), ("4.20.0", "4.20.1", "patch"),
    ("5.2", "5.2.19", "patch"), ("2026.10.18", "2026.10.19.post1", "patch"),
])
def test_kind_of_change(pinned, newest, kind):
    assert pins.change_kind(pinned, newest) == kind


def test_the_command_lists_only_what_is_behind(tmp_path, monkeypatch, capsys):
    req = write(tmp_path / "r.txt", "Pillow==12.0.0\nDjango==5.2.19\n# held back: major, breaks the cache\nredis==5.2.1\n")
    newest = {"Pillow": "13.0.0", "Django": "5.2.19", "redis": "8.2.0"}
    monkeypatch.setattr(pins, "newest_release", newest.__getitem__)
    call_command("outdated", requirements=str(req))
    out = capsys.readouterr().out
    assert "Pillow" in out and "13.0.0" in out and "major" in out
    assert "Django" not in out
    assert "breaks the cache" in out
    assert "2 of 3 pins are behind." in out


def test_an_index_that_does_not_answer_is_one_clear_error(tmp_path, monkeypatch):
    req = write(tmp_path / "r.txt", "Pillow==12.0.0\n")

    def no_answer(name):
        raise pins.IndexUnavailable(f"{name}: ERROR: No matching distribution found")

    monkeypatch.setattr(pins, "newest_release", no_answer)
    with pytest.raises(CommandError, match="did not answer for Pillow") as error:
        call_command("outdated", requirements=str(req))
    assert error.value.returncode == 1
