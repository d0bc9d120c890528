"""``jhplan explore RUN_DIR [--port N] [--bundles DIR]``: the interactive view of a finished run.

Opens the run (``simulation.explore_model.Explorer``: its configuration, city folder and kept
population draws; the HzE model is fitted again as the run fitted it, which takes a few seconds on
a large city) and serves the page (``simulation.explore_app``) on this machine only
(127.0.0.1). Stop it with Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def explore_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="jhplan explore",
        description="Local web page over a run: change cheap assumptions (Kita quotas, "
        "Tagespflege, booking hours, HzE rate trend and cost growth), see demand, gaps and cost "
        "with their bands, save the assumptions as an experiment bundle.",
    )
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--port", type=int, default=8050, help="port on 127.0.0.1 (default 8050)")
    parser.add_argument(
        "--bundles",
        type=Path,
        default=Path("jhplan-bundles"),
        help="where saved bundles go: DIR/experiment/NAME.yaml (default ./jhplan-bundles; "
        "the project's conf/experiment also works)",
    )
    args = parser.parse_args(argv)
    from simulation.explore_app import make_app  # Dash and the models only when needed
    from simulation.explore_model import Explorer

    try:
        explorer = Explorer(args.run_dir)
    except (ValueError, OSError) as err:
        print(f"jhplan explore: {err}", file=sys.stderr)
        return 1
    app = make_app(explorer, args.bundles)
    print(f"jhplan explore: http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
    app.run(host="127.0.0.1", port=args.port, debug=False)
    return 0
