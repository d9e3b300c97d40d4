"""``tf.app``: ``run(main, argv)`` parses the flags, calls ``main(argv)`` and exits with its
result, as TensorFlow's (absl's) ``app.run`` does."""

from __future__ import annotations

import sys

from . import flags
from .flags import FLAGS

_HELP = {"--help", "-help", "-h", "-?", "--helpshort", "--helpfull"}


def _usage(program: str) -> str:
    return f"\n       USAGE: {program} [flags]\nflags:\n\n{program}:\n{FLAGS.get_help()}\n"


def run(main=None, argv=None):
    """Parses ``argv`` (default ``sys.argv``) into ``FLAGS``, leaving flags it does not know
    for ``main``; then ``sys.exit(main(remaining_argv))``. ``main`` defaults to the ``main``
    function of the ``__main__`` module. ``--help`` prints the flags and exits with status 1."""
    main = main or sys.modules["__main__"].main
    args = list(sys.argv if argv is None else argv)
    try:
        remaining = FLAGS(args, known_only=True)
    except flags.Error as e:
        print(f"FATAL Flags parsing error: {e}", file=sys.stderr)
        print("Pass --helpshort or --helpfull to see help on flags.", file=sys.stderr)
        sys.exit(1)
    before_separator = remaining[1 : remaining.index("--")] if "--" in remaining else remaining[1:]
    if any(a.split("=", 1)[0] in _HELP for a in before_separator):
        print(_usage(remaining[0]))
        sys.exit(1)
    sys.exit(main(remaining))


__all__ = ["flags", "run"]
