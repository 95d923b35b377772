"""``python -m coopsim.viz [SCENARIO.yaml] [--host H] [--port N] [--allow-origin O]
[--max-sessions N] [--idle-minutes M]``: the app without the CLI."""

from __future__ import annotations

import argparse
import sys

from coopsim.viz.app import DEFAULT_HOST, DEFAULT_PORT, serve
from coopsim.viz.guard import DEFAULT_IDLE_MINUTES, DEFAULT_MAX_SESSIONS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coopsim.viz", description=__doc__)
    parser.add_argument("scenario", nargs="?", help="scenario file that sets the starting values")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN")
    parser.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS)
    parser.add_argument("--idle-minutes", type=int, default=DEFAULT_IDLE_MINUTES)
    args = parser.parse_args(argv)
    try:
        serve(
            args.scenario,
            host=args.host,
            port=args.port,
            allow_origins=args.allow_origin,
            max_sessions=args.max_sessions,
            idle_minutes=args.idle_minutes,
        )
    except ValueError as exc:  # an invalid scenario: the file's own message
        print(exc, file=sys.stderr)
        sys.exit(2)
    except OSError as exc:
        print(f"coopsim viz: {exc.strerror or exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
