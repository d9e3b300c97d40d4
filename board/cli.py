"""`board --logdir DIR [--host 127.0.0.1] [--port 6006] [--reload_interval 5]`."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
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
        help="seconds between full polling sweeps of the logdirs, at least (default 5; a sweep "
        "is also spaced 40x its own CPU time from the last, so huge logdirs stay idle)",
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

    try:  # before loading anything: a port in use is one clear line, not a late traceback
        listener = listen_socket(args.host, args.port)
    except OSError as err:
        print(f"board: {bind_error(args.host, args.port, err)}", file=sys.stderr)
        return 1

    from board.store import Store

    store = Store()
    ingestor = Ingestor(store, roots, args.reload_interval, progress=not args.quiet)
    ingestor.start()  # the native scan releases the GIL: reading overlaps the imports below

    import uvicorn

    from board.api.fast import FastPathApp
    from board.http_guard import HostGuard, is_loopback_bind, server_config

    def build_app():
        from board.api import create_app

        return create_app(store, ingestor)

    # The hot reads are answered as soon as the server listens; the FastAPI app (a few tenths
    # of a second to import and build) is built by the first request that needs it, or in the
    # background once the first load is done and the server is idle (see board.api.fast).
    front = FastPathApp(store, build_app, build_after=ingestor.loaded)
    loopback = is_loopback_bind(args.host)
    if not loopback:
        log.warning(
            "serving on %s: anyone who can reach this address can read these logs", args.host
        )
    port = listener.getsockname()[1]
    app = HostGuard(front, loopback_only=loopback)  # DNS rebinding: see board.http_guard
    server = uvicorn.Server(server_config(app, args.host, port))
    print(f"board: serving {args.logdir} at {server_url(args.host, port)}", file=sys.stderr)
    try:
        server.run(sockets=[listener])
    finally:
        ingestor.stop()
    return 0


def listen_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening, as uvicorn would bind it; port 0 picks
    a free one. Listening before the address is printed means a client that reads the printed
    address connects at once (its connection waits in the backlog until the server accepts)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # uvicorn's default backlog
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bind_error(host: str, port: int, err: OSError) -> str:
    if err.errno == errno.EADDRINUSE:
        return f"port {port} is in use (try --port 0 to pick a free one, or stop what holds it)"
    if isinstance(err, socket.gaierror):
        return f"cannot listen on {host!r}: {err.strerror}"
    return f"cannot listen on {host}:{port}: {err.strerror or err}"


def server_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


if __name__ == "__main__":
    sys.exit(main())
