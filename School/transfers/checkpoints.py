"""Named points between the steps of a transfer, where a crash test stops the process.

With SCHOOL_TRANSFER_PAUSE_AT=STEP (or STEP#N: the N-th time it is reached)
and SCHOOL_TRANSFER_PAUSE_FILE=PATH, the process writes PATH on reaching the
step and waits there to be killed, so that a test strikes exactly at that
point, whatever the machine's speed (tests/test_transfer_crash_safety.py).
Unset, as in production, a checkpoint costs one dictionary look-up.
"""

import os
import time
from collections import Counter
from pathlib import Path

SEND_STEPS = ("send:recorded", "send:announced")
ACCEPT_STEPS = ("accept:claimed", "accept:prepared", "accept:copied", "accept:carried", "accept:finalized")
_reached = Counter()


def reached(step):
    wanted = os.environ.get("SCHOOL_TRANSFER_PAUSE_AT")
    if not wanted:
        return
    name, _, nth = wanted.partition("#")
    if name != step:
        return
    _reached[step] += 1
    if _reached[step] != int(nth or 1):
        return
    signal = Path(os.environ["SCHOOL_TRANSFER_PAUSE_FILE"])
    # Written aside and renamed: the file appears whole, with its content.
    signal.with_name(signal.name + ".part").write_text(step)
    signal.with_name(signal.name + ".part").rename(signal)
    while True:  # until the test's SIGKILL
        time.sleep(60)
