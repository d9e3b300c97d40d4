"""``tf.app.flags`` / ``tf.flags``: absl-style command-line flags.

Our own small module rather than ``absl-py``: absl arrives here only with tensorboard, a
test-time dependency, and the engine's runtime must not depend on test-only packages; the
subset TF1 programs use is small. Semantics follow absl as ``tf.compat.v1.flags`` exposes it
(checked against tensorflow-cpu): ``--name=value``, ``--name value``, ``--bool`` /
``--nobool``, ``-name`` with one dash, ``--`` ends flag parsing; ``FLAGS(argv)`` returns
``[argv[0]] + the arguments that are not flags``; bad values raise IllegalFlagValueError.

A bare ``FlagValues()`` raises UnparsedFlagAccessError when a flag is read before parsing, as
absl does; the module's ``FLAGS`` — like TensorFlow's wrapper of absl's — parses ``sys.argv``
on that first read instead, which is what TF1 scripts written before absl rely on.
"""

from __future__ import annotations

import sys
from typing import Any


class Error(Exception):
    """Base class of flag errors."""


class IllegalFlagValueError(Error):
    """A flag's value does not parse, is out of bounds, or a required flag is missing."""


class UnrecognizedFlagError(Error):
    """The command line names a flag that was never defined."""


class UnparsedFlagAccessError(Error):
    """A flag was read before the command line was parsed."""


class DuplicateFlagError(Error):
    """A flag name was defined twice."""


_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}


class Flag:
    """One flag: its parser, default, current value and whether the command line set it."""

    def __init__(self, name, default, help_text, kind, parse, describe=""):
        self.name = name
        self.help = help_text
        self.kind = kind
        self._parse = parse
        self.describe = describe
        self.default = None if default is None else self.parse_value(default)
        self.value = self.default
        self.present = 0
        self.required = False

    def parse_value(self, raw):
        """The value of a command-line string or a Python default (IllegalFlagValueError)."""
        if self.kind == "string" and not isinstance(raw, str):
            return raw
        try:
            return self._parse(raw)
        except (ValueError, TypeError) as e:
            raise IllegalFlagValueError(f"flag --{self.name}={_show(raw)}: {e}") from None


class FlagValues:
    """The registry of defined flags and their values (absl's ``FlagValues``)."""

    def __init__(self):
        object.__setattr__(self, "_flags", {})
        object.__setattr__(self, "_parsed", False)

    # ---- definition ----------------------------------------------------------------------------

    def _define(self, flag: Flag) -> None:
        if flag.name in self._flags:
            raise DuplicateFlagError(
                f"The flag '{flag.name}' is defined twice. Each flag name must be defined once."
            )
        self._flags[flag.name] = flag

    # ---- parsing -------------------------------------------------------------------------------

    def __call__(self, argv, known_only: bool = False) -> list[str]:
        """Parses ``argv`` (``argv[0]`` is the program); returns ``[argv[0]]`` + the non-flag
        arguments (and, with ``known_only``, the flags this registry does not define)."""
        argv = list(argv)
        if not argv:
            raise Error("argv cannot be empty")
        rest = [argv[0]]
        args = argv[1:]
        i = 0
        while i < len(args):
            arg = args[i]
            i += 1
            if arg == "--":
                rest.extend(args[i:])
                break
            if not arg.startswith("-") or arg == "-":
                rest.append(arg)
                continue
            body = arg.lstrip("-")
            name, has_value, value = body.partition("=")
            flag = self._flags.get(name)
            if flag is None and not has_value and name.startswith("no"):
                negated = self._flags.get(name[2:])
                if negated is not None and negated.kind == "bool":
                    self._set(negated, False)
                    continue
            if flag is None:
                if known_only:
                    rest.append(arg)
                    continue
                raise UnrecognizedFlagError(f"Unknown command line flag '{name}'")
            if not has_value:
                if flag.kind == "bool":
                    self._set(flag, True)
                    continue
                if i >= len(args):
                    raise Error(f"Missing value for flag {arg}")
                value = args[i]
                i += 1
            self._set(flag, flag.parse_value(value))
        for flag in self._flags.values():
            if flag.required and flag.value is None:
                raise IllegalFlagValueError(
                    f"flag --{flag.name}=None: Flag --{flag.name} must have a value other "
                    "than None."
                )
        object.__setattr__(self, "_parsed", True)
        return rest

    @staticmethod
    def _set(flag: Flag, value) -> None:
        flag.value = value
        flag.present += 1

    def is_parsed(self) -> bool:
        return self._parsed

    def mark_as_parsed(self) -> None:
        object.__setattr__(self, "_parsed", True)

    def unparse_flags(self) -> None:
        for flag in self._flags.values():
            flag.value, flag.present = flag.default, 0
        object.__setattr__(self, "_parsed", False)

    # ---- access --------------------------------------------------------------------------------

    def _read(self, name: str):
        flag = self._flags.get(name)
        if flag is None:
            raise AttributeError(name)
        if not self._parsed:
            raise UnparsedFlagAccessError(
                f"Trying to access flag --{name} before flags were parsed."
            )
        return flag.value

    def __getattr__(self, name: str):
        if name == "__flags":  # name -> Flag; 2017 scripts print FLAGS.__flags.items()
            return dict(self._flags)
        return self._read(name)

    def __setattr__(self, name: str, value) -> None:
        flag = self._flags.get(name)
        if flag is None:
            raise AttributeError(f"unknown flag --{name}")
        flag.value = value

    def __getitem__(self, name: str) -> Flag:
        return self._flags[name]

    def __contains__(self, name: str) -> bool:
        return name in self._flags

    def __iter__(self):
        return iter(self._flags)

    def flag_values_dict(self) -> dict[str, Any]:
        return {name: flag.value for name, flag in self._flags.items()}

    def set_default(self, name: str, value) -> None:
        flag = self._flags[name]
        flag.default = flag.parse_value(value)
        if not flag.present:
            flag.value = flag.default

    def get_help(self) -> str:
        lines = []
        for name, flag in sorted(self._flags.items()):
            lines.append(f"  --{name}: {flag.help}")
            lines.append(f"    (default: {_show(flag.default)!r})")
            if flag.describe:
                lines.append(f"    ({flag.describe})")
        return "\n".join(lines)


class _AutoParsingFlagValues(FlagValues):
    """TensorFlow's ``FLAGS``: the first read of a flag parses ``sys.argv``."""

    def _read(self, name: str):
        if name in self._flags and not self._parsed:
            self(sys.argv)
        return super()._read(name)


def _show(value) -> str:
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _parse_bool(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    if not isinstance(raw, str):
        raise ValueError(f"Non-boolean argument to boolean flag: {raw!r}")
    low = raw.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"Non-boolean argument to boolean flag: {raw}")


def _bounded(kind_name, convert, lower, upper):
    def parse(raw):
        value = convert(raw)
        if (lower is not None and value < lower) or (upper is not None and value > upper):
            if lower == 0 and upper is None:
                raise ValueError(f"{value} is not a non-negative {kind_name}")
            if lower is not None and upper is not None:
                raise ValueError(f"{value} is not in [{lower}, {upper}]")
            bound = f">= {lower}" if lower is not None else f"<= {upper}"
            raise ValueError(f"{value} is not {bound}")
        return value

    return parse


def _parse_list(raw):
    if isinstance(raw, (list, tuple)):
        return [str(v) for v in raw]
    return [] if raw == "" else [part.strip() for part in raw.split(",")]


FLAGS = _AutoParsingFlagValues()


def DEFINE_string(name, default, help, flag_values=FLAGS, **unused):  # noqa: N802, A002
    flag_values._define(Flag(name, default, help, "string", str))


def DEFINE_integer(  # noqa: N802
    name,
    default,
    help,
    lower_bound=None,
    upper_bound=None,
    flag_values=FLAGS,
    **unused,  # noqa: A002
):
    parse = _bounded("integer", int, lower_bound, upper_bound)
    flag_values._define(Flag(name, default, help, "int", parse, "an integer"))


def DEFINE_float(  # noqa: N802
    name,
    default,
    help,
    lower_bound=None,
    upper_bound=None,
    flag_values=FLAGS,
    **unused,  # noqa: A002
):
    parse = _bounded("number", float, lower_bound, upper_bound)
    flag_values._define(Flag(name, default, help, "float", parse, "a number"))


def DEFINE_boolean(name, default, help, flag_values=FLAGS, **unused):  # noqa: N802, A002
    flag_values._define(Flag(name, default, help, "bool", _parse_bool))


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name, default, help, flag_values=FLAGS, **unused):  # noqa: N802, A002
    flag_values._define(Flag(name, default, help, "list", _parse_list, "a comma separated list"))


def DEFINE_enum(name, default, enum_values, help, flag_values=FLAGS, **unused):  # noqa: N802, A002
    choices = list(enum_values)

    def parse(raw):
        if raw not in choices:
            raise ValueError(f"value should be one of <{'|'.join(choices)}>")
        return raw

    flag_values._define(Flag(name, default, help, "enum", parse, f"one of: {', '.join(choices)}"))


def mark_flag_as_required(flag_name: str, flag_values=FLAGS) -> None:
    """Parsing fails (IllegalFlagValueError) unless the flag ends up with a non-None value."""
    flag_values[flag_name].required = True


def mark_flags_as_required(flag_names, flag_values=FLAGS) -> None:
    for name in flag_names:
        mark_flag_as_required(name, flag_values)


__all__ = [
    "DEFINE_bool",
    "DEFINE_boolean",
    "DEFINE_enum",
    "DEFINE_float",
    "DEFINE_integer",
    "DEFINE_list",
    "DEFINE_string",
    "FLAGS",
    "DuplicateFlagError",
    "Error",
    "Flag",
    "FlagValues",
    "IllegalFlagValueError",
    "UnparsedFlagAccessError",
    "UnrecognizedFlagError",
    "mark_flag_as_required",
    "mark_flags_as_required",
]
