"""`board --logdir DIR [--host 127.0.0.1] [--port 6006] [--reload_interval 5]`, and the flags
TensorBoard launch scripts pass (see docs/board.md)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
from importlib import metadata

DEMO_LOGDIR = "demo_logs"
REMOTE_SCAN_THREADS = 8  # ranged reads from object storage wait on the network, not the CPU

# TensorBoard flags that choose TensorBoard's own backends or tools: accepted, so launch scripts
# run, with a one-line note that they do not apply here.
NOT_APPLICABLE = {
    "--load_fast": "the board always reads with its native scanner",
    "--grpc_data_provider": "the board has no separate data server",
    "--grpc_creds_type": "the board has no separate data server",
    "--extra_data_server_flags": "the board has no separate data server",
    "--db": "the board reads event files, not a database",
    "--db_import": "the board reads event files, not a database",
    "--detect_file_replacement": "a file that shrinks or is rewritten always reloads its run",
    "--generic_data": "every kind is always read from its own data",
    "--reload_task": "the board always reloads on its own thread",
    "--reuse_port": "the board binds one socket of its own",
    "--reload_multifile_inactive_secs": "every event file of a run is always tailed",
    "--master_tb": "the board serves alone",
    "--inspect": "use summaries.SummaryReader to look into event files",
    "--tag": "it goes with --inspect",
    "--event_file": "it goes with --inspect",
}

KINDS_CAPPED = ("scalars", "images", "histograms", "text", "audio", "tensors", "pr_curves", "mesh")


def version() -> str:
    try:
        return metadata.version("flowboard")
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        return "0.1.0"


def boolean(text: str) -> bool:
    """TensorBoard's BOOL flags: `true`/`false` (absl spelling), also 1/0, yes/no."""
    value = text.strip().lower()
    if value in ("true", "t", "1", "yes", "y"):
        return True
    if value in ("false", "f", "0", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def samples_per_plugin(text: str) -> dict[str, int]:
    """`scalars=500,images=0` -> {kind: cap}; 0 (TensorBoard's meaning) keeps every sample."""
    caps: dict[str, int] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        kind, sep, number = part.partition("=")
        if not sep or not number.strip().isdigit():
            raise argparse.ArgumentTypeError(f"{part!r} is not KIND=COUNT")
        caps[kind.strip()] = int(number)
    return caps


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="board",
        description="Serve TensorBoard event files: every point, live, fast.",
    )
    p.add_argument(
        "--logdir",
        default=None,
        help="directory of runs or fsspec URL (s3://bucket/prefix, gs://...), or "
        "NAME:PATH,NAME2:URL for several "
        f"(default: ./{DEMO_LOGDIR} when it exists, as in a checkout of this repo)",
    )
    p.add_argument(
        "--logdir_spec",
        default=None,
        help="TensorBoard's spelling of several logdirs, NAME:PATH,NAME2:PATH2 (the same as "
        "--logdir; an entry starting with scheme:// is a URL, not NAME:PATH)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to bind (default 127.0.0.1, this machine only)",
    )
    p.add_argument(
        "--bind_all",
        action="store_true",
        help="serve on every interface (as --host ::, or 0.0.0.0 without IPv6)",
    )
    p.add_argument("--port", type=int, default=6006, help="port (default 6006; 0 picks one)")
    p.add_argument(
        "--path_prefix",
        default="",
        help="serve everything under this path, e.g. /tb behind a proxy (default: none)",
    )
    p.add_argument("--window_title", default="", help="the browser window's title")
    p.add_argument(
        "--reload_interval",
        type=float,
        default=5.0,
        help="seconds between full polling sweeps of the logdirs, at least (default 5; a sweep "
        "is also spaced 40x its own CPU time from the last, so huge logdirs stay idle); "
        "0 loads once and never reloads",
    )
    p.add_argument(
        "--max_reload_threads",
        type=int,
        default=None,
        help="runs read at once during the first load (default 2; 8 for object storage)",
    )
    p.add_argument(
        "--reload_multifile",
        type=boolean,
        nargs="?",
        const=True,
        default=True,
        help="accepted for TensorBoard: every event file of a run is always tailed",
    )
    p.add_argument(
        "--purge_orphaned_data",
        type=boolean,
        nargs="?",
        const=True,
        default=True,
        help="drop points a restarted run wrote again (default true; false keeps both)",
    )
    p.add_argument(
        "--samples_per_plugin",
        type=samples_per_plugin,
        default={},
        help="optional cap per kind on what a request returns, e.g. scalars=500,images=5 "
        "(evenly spaced, with the first and last; 0 or absent keeps all, the default; kinds: "
        + ", ".join(KINDS_CAPPED)
        + ", distributions = histograms)",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--version_tb", action="store_true", help="the same as --version")
    p.add_argument("--quiet", action="store_true", help="no progress bar or access log")
    for flag, why in NOT_APPLICABLE.items():
        p.add_argument(flag, nargs="?", const="", default=None, help=f"ignored: {why}")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version or args.version_tb:
        print(f"board {version()}")
        return 0
    for flag, why in NOT_APPLICABLE.items():
        if getattr(args, flag[2:]) is not None:
            print(f"board: {flag} does not apply ({why}); ignored", file=sys.stderr)
    if args.logdir is not None and args.logdir_spec is not None:
        parser.error("give --logdir or --logdir_spec, not both")
    spec = args.logdir if args.logdir is not None else args.logdir_spec
    if spec is None:
        if not os.path.isdir(DEMO_LOGDIR):
            parser.error(f"--logdir is required (there is no ./{DEMO_LOGDIR} to show)")
        spec = DEMO_LOGDIR
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("board")
    if args.reload_interval < 0:
        print("board: --reload_interval must be 0 (load once) or positive", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print(f"board: --port {args.port} is out of range", file=sys.stderr)
        return 2
    caps = dict(args.samples_per_plugin)
    if "distributions" in caps:  # TensorBoard's distributions plugin reads the histograms
        caps.setdefault("histograms", caps.pop("distributions"))
    unknown = sorted(set(caps) - set(KINDS_CAPPED))
    if unknown:
        print(f"board: --samples_per_plugin: no kind {unknown[0]!r}", file=sys.stderr)
        return 2
    host = _bind_all_host() if args.bind_all else args.host

    from board.api.prefix import normalize_prefix
    from board.ingest import Ingestor, parse_logdir_spec
    from board.ingest.fs import is_dir

    prefix = normalize_prefix(args.path_prefix)
    try:
        roots = parse_logdir_spec(spec)
    except ValueError as err:  # also a URL whose filesystem is not installed
        print(f"board: {err}", file=sys.stderr)
        return 2
    for root in roots:
        if not root.remote and not is_dir(root.path):
            log.warning("logdir %s does not exist (yet); watching for it", root.path)

    try:  # before loading anything: a port in use is one clear line, not a late traceback
        listener = listen_socket(host, args.port)
    except OSError as err:
        print(f"board: {bind_error(host, args.port, err)}", file=sys.stderr)
        return 1

    from board.store import Store

    threads = args.max_reload_threads
    if threads is None:
        threads = REMOTE_SCAN_THREADS if any(r.remote for r in roots) else 2
    store = Store()
    ingestor = Ingestor(
        store, roots, args.reload_interval, progress=not args.quiet, scan_threads=threads
    )
    ingestor.purge_orphaned_data = args.purge_orphaned_data
    ingestor.start()  # the native scan releases the GIL: reading overlaps the imports below
    reader = store
    if any(caps.values()):
        from board.store.sampled import SampledReader

        reader = SampledReader(store, caps)

    import uvicorn

    from board.api.fast import FastPathApp
    from board.api.prefix import PathPrefix
    from board.api.static_assets import StaticAssets
    from board.http_guard import HostGuard, is_loopback_bind, server_config

    assets = StaticAssets(window_title=args.window_title or None)  # the UI's files, shared

    def build_app():
        from board.api import create_app

        app = create_app(reader, ingestor, window_title=args.window_title or None, assets=assets)
        app.state.runs_listing = front.runs_listing  # one cache of the listing for both
        return app

    # The hot reads are answered as soon as the server listens; the FastAPI app (a few tenths
    # of a second to import and build) is built by the first request that needs it, or in the
    # background once the first load is done and the server is idle (see board.api.fast).
    front = FastPathApp(
        reader, build_app, build_after=ingestor.loaded, status=ingestor.status, assets=assets
    )
    loopback = is_loopback_bind(host)
    if not loopback:
        log.warning("serving on %s: anyone who can reach this address can read these logs", host)
    port = listener.getsockname()[1]
    # DNS rebinding: see board.http_guard
    app = HostGuard(PathPrefix(front, prefix), loopback_only=loopback)
    server = uvicorn.Server(server_config(app, host, port))
    url = server_url(host, port) + (prefix[1:] + "/" if prefix else "")
    print(f"board: serving {spec} at {url}", file=sys.stderr)
    try:
        server.run(sockets=[listener])
    finally:
        ingestor.stop()
    return 0


def _bind_all_host() -> str:
    """`--bind_all`: every IPv6 and IPv4 interface where the system has IPv6, else IPv4's."""
    return "::" if socket.has_ipv6 else "0.0.0.0"


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
