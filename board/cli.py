"""`board --logdir DIR [--host 127.0.0.1] [--port 6006] [--reload_interval 5]`."""

from __future__ import annotations

import argparse
import logging
import os
import sys

DEMO_LOGDIR = "demo_logs"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="board",
        description="Serve TensorBoard event files: every point, live, fast.",
    )
    p.add_argument(
        "--logdir",
        default=None,
        help="directory of runs, or NAME:PATH,NAME2:PATH2 for several "
        f"(default: ./{DEMO_LOGDIR} when it exists, as in a checkout of this repo)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default 127.0.0.1, this machine only)",
    )
    p.add_argument("--port", type=int, default=6006, help="port (default 6006; 0 picks one)")
    p.add_argument(
        "--reload_interval",
        type=float,
        default=5.0,
        help="seconds between full polling sweeps of the logdirs (default 5)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar or access log")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.logdir is None:
        if not os.path.isdir(DEMO_LOGDIR):
            parser.error(f"--logdir is required (there is no ./{DEMO_LOGDIR} to show)")
        args.logdir = DEMO_LOGDIR
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("board")
    if args.reload_interval <= 0:
        print("board: --reload_interval must be positive", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"board: --port {args.port} is out of range", file=sys.stderr)
        return 2

    from board.ingest import Ingestor, parse_logdir_spec

    try:
        roots = parse_logdir_spec(args.logdir)
    except ValueError as err:
        print(f"board: {err}", file=sys.stderr)
        return 2
    for root in roots:
        if not os.path.isdir(root.path):
            log.warning("logdir %s does not exist (yet); watching for it", root.path)

    from board.store import Store

    store = Store()
    ingestor = Ingestor(store, roots, args.reload_interval, progress=not args.quiet)
    ingestor.start()  # the native scan releases the GIL: reading overlaps the imports below

    import uvicorn

    from board.api.fast import FastPathApp

    def build_app():
        from board.api import create_app

        return create_app(store, ingestor)

    # The hot reads are answered as soon as the server listens; the FastAPI app (a few tenths
    # of a second to import and build) is built by the first request that needs it, or in the
    # background once the first load is done and the server is idle (see board.api.fast).
    app = FastPathApp(store, build_app, build_after=ingestor.loaded)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning(
            "serving on %s: anyone who can reach this address can read these logs", args.host
        )
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        ws="none",  # no websocket routes: skip importing a websocket stack at startup
        lifespan="off",  # no startup or shutdown hooks
    )
    server = uvicorn.Server(config)
    print(f"board: serving {args.logdir} at http://{args.host}:{args.port}/", file=sys.stderr)
    try:
        server.run()
    finally:
        ingestor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
