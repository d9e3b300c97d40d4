"""Custom ops: ``load_op_library`` for C kernels compiled against
``engine/include/flowboard/kernel.h`` (registered through ``register_op``, like built-ins)."""

from __future__ import annotations

import collections
import os
import re
import struct
import sys
import types

from . import _executor
from . import dtypes as D
from .core import CustomKernel, TensorShape, convert_to_tensor, register_op
from .errors import NotFoundError
from .ops.common import make_op

_BY_CODE = {d.code: d for d in D.ALL}


def include_dir() -> str:
    """The directory to pass as ``-I`` when compiling a kernel library."""
    return os.path.join(os.path.dirname(__file__), "include")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _shape_fn(spec):
    def fn(op):
        if len(op.inputs) != spec["num_inputs"]:
            raise ValueError(f"{op.type} takes {spec['num_inputs']} inputs, got {len(op.inputs)}")
        outs = []
        for src, dt in zip(spec["output_shape_from_input"], spec["output_dtype"], strict=True):
            shape = op.inputs[src].shape if 0 <= src < len(op.inputs) else TensorShape(None)
            dtype = op.inputs[0].dtype if dt < 0 else _BY_CODE[dt]
            outs.append((dtype, shape))
        return outs

    return fn


# ELF layout (the System V gABI): e_ident is 16 bytes, then the header's fields; the formats
# below are the header after e_ident, a program header, per class (1: 32-bit, 2: 64-bit).
_ELF_MAGIC = b"\x7fELF"
_EHDR = {1: "HHIIIIIHHHHHH", 2: "HHIQQQIHHHHHH"}
_PHDR = {1: "IIIIIIII", 2: "IIQQQQQQ"}
_EHDR_SIZE = {1: 52, 2: 64}
_PHDR_SIZE = {1: 32, 2: 56}
_SHDR_SIZE = {1: 40, 2: 64}
_PT_LOAD, _PT_DYNAMIC = 1, 2
_ET_DYN = 3
_PN_XNUM = 0xFFFF


def _process_elf_ident() -> tuple[int, int, int] | None:
    """(class, data encoding, e_machine) of this interpreter's own ELF file, or None."""
    try:
        with open(sys.executable, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[:4] != _ELF_MAGIC:
        return None
    endian = "<" if head[5] == 1 else ">"
    return head[4], head[5], struct.unpack(endian + "H", head[18:20])[0]


_ElfHeader = collections.namedtuple(
    "_ElfHeader",
    "type machine version entry phoff shoff flags ehsize phentsize phnum shentsize shnum shstrndx",
)


def _elf_problem(path: str) -> str | None:
    """Why the file at `path` cannot be a loadable shared library for this process, or None.

    dlopen maps the file's PT_LOAD segments without checking them against the file's size; a
    truncated library then faults (SIGBUS) on the first read of a missing page. So every table
    and segment the loader reads must lie inside the file."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            data = f.read(min(size, 1 << 20))
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    problem = _ident_problem(data, size)
    if problem is not None:
        return problem
    cls, e = data[4], "<" if data[5] == 1 else ">"
    hdr = _ElfHeader._make(struct.unpack_from(e + _EHDR[cls], data, 16))
    return _header_problem(hdr, cls, size, len(data)) or _segments_problem(data, hdr, cls, e, size)


def _ident_problem(data: bytes, size: int) -> str | None:
    """Checks e_ident: magic, and a class and byte order matching this process."""
    if len(data) < 16 or data[:4] != _ELF_MAGIC:
        return "is not an ELF file (no ELF magic number)"
    cls, enc = data[4], data[5]
    if cls not in _EHDR:
        return f"has an unknown ELF class {cls}"
    if enc not in (1, 2):
        return f"has an unknown ELF data encoding {enc}"
    want_cls = 2 if sys.maxsize > 2**32 else 1
    bits = {1: "32-bit", 2: "64-bit"}
    if cls != want_cls:
        return f"is a {bits[cls]} ELF file; this process is {bits[want_cls]}"
    if enc != (1 if sys.byteorder == "little" else 2):
        return "has the wrong byte order for this process"
    if size < _EHDR_SIZE[cls]:
        return f"is truncated: {size} bytes, less than an ELF header ({_EHDR_SIZE[cls]} bytes)"
    return None


def _header_problem(hdr: _ElfHeader, cls: int, size: int, have: int) -> str | None:
    """Checks the ELF header: a shared object for this machine whose tables fit in the file."""
    if hdr.type != _ET_DYN:
        return f"is not a shared object (ELF type {hdr.type})"
    own = _process_elf_ident()
    if own is not None and own[2] != hdr.machine:
        return f"is built for ELF machine {hdr.machine}; this process is machine {own[2]}"
    if hdr.ehsize < _EHDR_SIZE[cls]:
        return f"has a bad ELF header size {hdr.ehsize}"
    if hdr.phentsize != _PHDR_SIZE[cls] or hdr.phnum in (0, _PN_XNUM):
        return f"has a bad program header table ({hdr.phnum} entries of {hdr.phentsize} bytes)"
    ph_end = hdr.phoff + hdr.phnum * hdr.phentsize
    if ph_end > size:
        return f"is truncated: its program headers end at byte {ph_end}, but it has {size} bytes"
    if hdr.shoff and hdr.shnum:
        sh_end = hdr.shoff + hdr.shnum * hdr.shentsize
        if hdr.shentsize != _SHDR_SIZE[cls]:
            return f"has a bad section header size {hdr.shentsize}"
        if sh_end > size:
            return (
                f"is truncated: its section headers end at byte {sh_end}, but it has {size} bytes"
            )
    if ph_end > have:
        return "has its program headers beyond the first MiB"
    return None


def _segments_problem(data: bytes, hdr: _ElfHeader, cls: int, e: str, size: int) -> str | None:
    """Checks that every PT_LOAD and PT_DYNAMIC segment's bytes lie inside the file."""
    loads = 0
    for i in range(hdr.phnum):
        fields = struct.unpack_from(e + _PHDR[cls], data, hdr.phoff + i * hdr.phentsize)
        if cls == 2:
            p_type, _pflags, p_offset, _vaddr, _paddr, p_filesz, p_memsz, _align = fields
        else:
            p_type, p_offset, _vaddr, _paddr, p_filesz, p_memsz, _pflags, _align = fields
        if p_type not in (_PT_LOAD, _PT_DYNAMIC):
            continue
        kind = "PT_LOAD" if p_type == _PT_LOAD else "PT_DYNAMIC"
        loads += p_type == _PT_LOAD
        if p_offset + p_filesz > size:
            return (
                f"is truncated: program header {i} ({kind}) covers bytes "
                f"[{p_offset}, {p_offset + p_filesz}), but the file has {size} bytes"
            )
        if p_type == _PT_LOAD and p_filesz > p_memsz:
            return (
                f"has a bad program header {i} "
                f"(PT_LOAD file size {p_filesz} > memory size {p_memsz})"
            )
    return None if loads else "has no loadable (PT_LOAD) segment"


def _kernel_error_message(exc: BaseException) -> str:
    """The message of an `_executor.KernelError` (its args are (code, message))."""
    args = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], tuple) else exc.args
    return str(args[1]) if len(args) == 2 else str(exc)


def load_op_library(path: str):
    """Loads a shared library exporting ``fb_op_defs`` and registers each op it defines.

    Returns a module-like namespace with one function per op (``ZeroOut`` -> ``zero_out``).
    Gradients can be attached afterwards with ``engine.register_gradient``."""
    path = os.path.abspath(path)
    if not os.path.exists(path):
        raise NotFoundError(None, None, f"load_op_library: {path} not found")
    if not os.path.isfile(path):
        raise NotFoundError(None, None, f"load_op_library: {path} is not a regular file")
    problem = _elf_problem(path)
    if problem is not None:
        raise NotFoundError(None, None, f"load_op_library: {path} {problem}")
    try:
        specs = _executor.load_library(path)
    except _executor.KernelError as e:
        raise NotFoundError(None, None, _kernel_error_message(e)) from None
    ns = types.SimpleNamespace(__file__=path, OP_LIST=[s["name"] for s in specs])
    for spec in specs:
        name = spec["name"]
        register_op(
            name, shape_fn=_shape_fn(spec), cpu=CustomKernel(spec["kernel"], path), override=True
        )

        def build(*inputs, name=None, _op=name, _n=spec["num_outputs"]):
            ts = [convert_to_tensor(x) for x in inputs]
            op = make_op(_op, ts, {"T": ts[0].dtype} if ts else {}, name)
            return op.outputs[0] if _n == 1 else op.outputs

        setattr(ns, _snake(name), build)
    return ns
