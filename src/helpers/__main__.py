"""Command line: `python -m helpers COMMAND ...`.

Each command lives in the module that does the job and exposes `main(argv) -> int`:
  validate FILE      check a survey export against the codebook (helpers.validate)
  synth              regenerate data/synthetic/ from its seed (helpers.synth)
  build ...          execute the notebooks and render the report (reportbuild.cli)
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "validate": "helpers.validate",
    "synth": "helpers.synth",
    "build": "reportbuild.cli",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
