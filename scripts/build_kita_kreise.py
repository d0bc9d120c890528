"""Copy the Kreis Betreuungsquoten 2011-2019 into ``data/kita_kreise/`` (byte for byte).

The file is the validation panel of the quota models (``validation/validate_kita_kreise.py``):
Regionalatlas indicators "Betreuungsquote 0-2" and "3-5" for about 400 Kreise, exported by the
shared data collection from CorrelAid's pickles (see ``data/kita_kreise/SOURCES.md``). A value of
0.0 means missing. Running the script twice gives the same file; it prints the sha256.

Usage:
    python scripts/build_kita_kreise.py [--shared PATH]
"""

from __future__ import annotations

import hashlib
import shutil

from buildlib import REPO, shared_data_folder  # first: puts the repository on sys.path

NAME = "regionalatlas_betreuungsquoten_kreise_2011-2019.csv"
OUT = REPO / "data" / "kita_kreise"


def main() -> None:
    """Copy the panel and print its checksum and size."""
    src = shared_data_folder(__doc__.splitlines()[0], "kita_kreise/") / "kita_kreise" / NAME
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / NAME
    shutil.copyfile(src, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    print(f"wrote {target.relative_to(REPO)} ({target.stat().st_size:,} bytes, sha256 {digest})")


if __name__ == "__main__":
    main()
