"""Print what check-data does with every planted fault: counts caught / warned / silent; then the
faults in files given by path (``tests/faults/outside.py``).

Run: ``.venv/bin/python -m tests.faults.count [-v]`` (``-v``: one line per fault). Prints figures
for the README's "Fault injection" section; the assertions are in ``tests/faults/test_faults.py``.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from tests.faults.catalogue import FAULTS
from tests.faults.harness import check, plant, verdict
from tests.faults.outside import OUTSIDE, outside_verdict


def main() -> None:
    verbose = "-v" in sys.argv[1:]
    tally: Counter[str] = Counter()
    for fault in FAULTS:
        with tempfile.TemporaryDirectory() as tmp:
            outcome = check(plant(fault, Path(tmp)))
        v = verdict(fault, outcome)
        tally[v if v in ("caught", "warned", "read") else "failed"] += 1
        if verbose or v not in ("caught", "warned", "read"):
            first = (outcome.errors or outcome.warnings or [""])[0]
            print(f"{fault.id:28} {fault.expect:22} {v[:70]:70} {first[:150]}")
    warned = [f.id for f in FAULTS if f.expect.startswith("warning")]
    print(
        f"{len(FAULTS)} planted: {tally['caught']} caught (error), {tally['warned']} warned, "
        f"{tally['read']} read correctly (no fault), {tally['failed']} silent or wrong"
    )
    print(f"only warned: {', '.join(warned)}")
    outside: Counter[str] = Counter()
    for fault in OUTSIDE:
        with tempfile.TemporaryDirectory() as tmp:
            v = outside_verdict(fault, Path(tmp))
        outside[v if v in ("caught", "read") else "failed"] += 1
        if verbose or v not in ("caught", "read"):
            print(f"{fault.id:28} {fault.expect:22} {v[:150]}")
    print(
        f"files given by path (housing plan, assumptions file): {len(OUTSIDE)} planted: "
        f"{outside['caught']} caught (error), {outside['read']} read correctly (no fault), "
        f"{outside['failed']} silent or wrong"
    )


if __name__ == "__main__":
    main()
