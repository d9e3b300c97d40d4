"""Export of control flow in TF1's lowered form: a GraphDef holds ``Switch``/``Merge`` for a
``cond`` and ``Enter``/``Merge``/``Switch``/``LoopCond``/``NextIteration``/``Exit`` for a
``while_loop``, named as ``tf.compat.v1`` names them (graph mode, control flow v1), so TF1's
``import_graph_def`` runs it and TensorBoard draws the same scopes. The engine's functional
``If``/``While`` ops and their sub-graphs become:

* cond (scope ``cond``): ``cond/Switch`` (pred, pred), the pivots ``cond/switch_t`` /
  ``cond/switch_f`` (Identity of its true/false output), ``cond/pred_id`` (Identity of pred);
  each outer tensor a branch reads enters through one ``Switch`` (named after its first reader,
  ``cond/mul/Switch``) whose output 1 feeds the true branch and 0 the false one; a branch op
  without inputs gets a control input on its pivot; ``cond/Merge``, ``cond/Merge_1``... take
  (false output, true output).
* while (scope ``while``): per loop variable ``while/Enter`` → ``while/Merge`` (Enter,
  NextIteration) → ``while/Switch`` (Merge, ``while/LoopCond``) → ``while/Identity`` (the body's
  view, Switch:1) and ``while/Exit`` (Switch:0); ``while/NextIteration`` takes the body's
  result. Outer tensors enter through constant ``Enter`` nodes (``while/mul/Enter``) of the
  frame ``while/while_context``. A loop with ``maximum_iterations``, or whose iteration count is
  read (by its gradient), carries one more loop variable, the counter, as TF1 does.

Gradient ops (``IfGrad``, ``WhileGrad``) have no TF1 counterpart here and are written as they
are (a GraphDef holding them imports back into the engine only as an opaque op).
"""

from __future__ import annotations

import numpy as np

from .. import dtypes as D
from ..core import Operation, Tensor, TensorShape
from .subgraph import OWNER, SPECS

SCALAR = TensorShape([])


def _input_name(t: Tensor) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"


def _scope(op: Operation) -> str:
    return op.name.rpartition("/")[0]


class Lowering:
    """Writes the NodeDefs of a graph, lowering its ``If``/``While`` ops (see the module doc)."""

    def __init__(self, graph, node_def_of, attr_value, add_shapes: bool):
        self.ops = graph.get_operations()
        self.node_def_of = node_def_of
        self.attr_value = attr_value
        self.add_shapes = add_shapes
        self.used = {op.name for op in self.ops}
        self.nodes: list = []
        self.entries: dict = {}
        self.structure: dict = {}  # lowered op -> its names (pred_id, merges, exits, ...)
        self.arg_of: dict = {}  # _Arg op of a lowered While -> (While op, loop variable index)
        self.ctx_cache: dict = {}
        for op in self.ops:
            if self.lowered(op) and op.type == "While":
                for k, a in enumerate(SPECS[op].args):
                    self.arg_of[a.op] = (op, k)

    # ---- contexts ---------------------------------------------------------------------------

    @staticmethod
    def lowered(op) -> bool:
        return op.type in ("If", "While") and op in SPECS

    def context(self, op):
        """(functional op, part) whose frame ``op`` runs in (part: branch 0/1, "cond" or
        "body"), or None at the top level."""
        if op in self.ctx_cache:
            return self.ctx_cache[op]
        owner = OWNER.get(op)
        if owner is None:
            ctx = None
        elif not self.lowered(owner):
            ctx = self.context(owner)
        elif owner.type == "If":
            ctx = (owner, 1 if op in SPECS[owner].branches[1].op_set else 0)
        elif op in SPECS[owner].cond.op_set:
            ctx = (owner, "cond")
        else:
            ctx = (owner, "body")
        self.ctx_cache[op] = ctx
        return ctx

    def ancestors(self, ctx) -> list:
        chain = []
        while ctx is not None:
            chain.append(ctx)
            ctx = self.context(ctx[0])
        return chain

    # ---- names ------------------------------------------------------------------------------

    def unique(self, name: str) -> str:
        base, k = name, 0
        while name in self.used:
            k += 1
            name = f"{base}_{k}"
        self.used.add(name)
        return name

    def own_name(self, t: Tensor) -> str:
        """The name of ``t`` in its own frame (outputs of lowered ops become their Merge/Exit)."""
        if self.lowered(t.op):
            return self.structure[t.op]["outputs"][t.value_index]
        return _input_name(t)

    def ref(self, t: Tensor, ctx, reader: Operation, is_ref: bool = False) -> str:
        """The name under which ``reader`` (in frame ``ctx``) reads ``t``: ``t`` itself when it
        is of the same frame, else the Switch/Enter that brings it in (made on first use)."""
        if t.op in self.arg_of:
            w, k = self.arg_of[t.op]
            if ctx == (w, "cond"):
                return self.structure[w]["merges"][k]
        src = self.context(t.op) if t.op not in self.arg_of else (self.arg_of[t.op][0], "body")
        if src == ctx or ctx is None or src not in self.ancestors(ctx)[1:] + [None]:
            return self.own_name(t)
        key = (ctx, t, is_ref)
        if key not in self.entries:
            self.entries[key] = self.entry(t, ctx, reader, is_ref)
        return self.entries[key]

    # ---- nodes ------------------------------------------------------------------------------

    def add(self, name: str, op_type: str, inputs, attrs: dict, shapes=None, device=""):
        _, _, node_def_pb2, _, _ = _pb()
        n = node_def_pb2.NodeDef(name=name, op=op_type, device=device)
        n.input.extend(inputs)
        for k, v in attrs.items():
            n.attr[k].CopyFrom(self.attr_value(v))
        if self.add_shapes and shapes is not None:
            n.attr["_output_shapes"].CopyFrom(self.attr_value(list(shapes)))
        self.nodes.append(n)
        return n

    def entry(self, t: Tensor, ctx, reader: Operation, is_ref: bool) -> str:
        """A variable read as a ref input (an update inside the body) enters as TF1's
        RefSwitch / RefEnter, so the update reaches the variable itself."""
        outer = self.ref(t, self.context(ctx[0]), reader, is_ref)
        fop, part = ctx
        kind = "Ref" if is_ref else ""
        if fop.type == "If":
            name = self.unique(f"{reader.name}/Switch")
            pred_id = self.structure[fop]["pred_id"]
            self.add(name, kind + "Switch", [outer, pred_id], {"T": t.dtype}, [t.shape, t.shape])
            return f"{name}:1" if part == 1 else name
        name = self.unique(f"{reader.name}/Enter")
        attrs = self.enter_attrs(fop, t, is_constant=True)
        self.add(name, kind + "Enter", [outer], attrs, [t.shape])
        return name

    def enter_attrs(self, w: Operation, t: Tensor, is_constant: bool) -> dict:
        return {
            "T": t.dtype,
            "frame_name": f"{_scope(w)}/while_context" if _scope(w) else "while_context",
            "is_constant": is_constant,
            "parallel_iterations": int(w.attrs.get("parallel_iterations", 10)),
        }

    # ---- structures -------------------------------------------------------------------------

    def plan_if(self, op: Operation) -> None:
        s = _scope(op)
        p = (s + "/") if s else ""
        merges = [op.name] + [self.unique(f"{p}Merge_{k}") for k in range(1, len(op.outputs))]
        self.structure[op] = {
            "switch": self.unique(f"{p}Switch"),
            "switch_t": self.unique(f"{p}switch_t"),
            "switch_f": self.unique(f"{p}switch_f"),
            "pred_id": self.unique(f"{p}pred_id"),
            "outputs": merges,
        }

    def plan_while(self, op: Operation) -> None:
        spec = SPECS[op]
        s = _scope(op)
        p = (s + "/") if s else ""
        n = len(spec.args)
        counted = spec.has_max or self.count_read(op)
        k_vars = n + (1 if counted else 0)

        def names(base):
            return [self.unique(p + base)] + [
                self.unique(f"{p}{base}_{k}") for k in range(1, k_vars)
            ]

        enters, merges = names("Enter"), names("Merge")
        switches = names("Switch")
        nexts = names("NextIteration")
        exits = [op.name] + [self.unique(f"{p}Exit_{k}") for k in range(1, k_vars)]
        idents = [a.op.name for a in spec.args]
        if counted:
            idents.append(self.unique(f"{p}Identity_{n}"))
        self.structure[op] = {
            "enters": enters,
            "merges": merges,
            "switches": switches,
            "nexts": nexts,
            "idents": idents,
            "loop_cond": self.unique(f"{p}LoopCond"),
            "outputs": exits[:n] + ([exits[n]] if counted else [f"{op.name}:{n}"]),
            "counted": counted,
        }

    def count_read(self, op: Operation) -> bool:
        count = op.outputs[len(SPECS[op].args)]
        return any(count in o.inputs for o in self.ops)

    def emit_if_header(self, op: Operation) -> None:
        st = self.structure[op]
        pred = self.ref(op.inputs[0], self.context(op), op)
        bool_, scalar = D.bool_, op.inputs[0].shape
        n = self.add(st["switch"], "Switch", [pred, pred], {"T": bool_}, [scalar, scalar])
        n.input.extend("^" + self.control_name(c) for c in op.control_inputs)
        self.add(st["switch_t"], "Identity", [st["switch"] + ":1"], {"T": bool_}, [scalar])
        self.add(st["switch_f"], "Identity", [st["switch"]], {"T": bool_}, [scalar])
        self.add(st["pred_id"], "Identity", [pred], {"T": bool_}, [scalar])

    def emit_if(self, op: Operation) -> None:
        st = self.structure[op]
        spec = SPECS[op]
        for k, out in enumerate(op.outputs):
            false_out = spec.branches[0].outputs[k]
            true_out = spec.branches[1].outputs[k]
            self.add(
                st["outputs"][k],
                "Merge",
                [self.ref(false_out, (op, 0), op), self.ref(true_out, (op, 1), op)],
                {"T": out.dtype, "N": 2},
                [out.shape, SCALAR],
                op.device,
            )

    def loop_values(self, op: Operation) -> list:
        spec = SPECS[op]
        values = [(a.dtype, sh) for a, sh in zip(spec.args, spec.shapes, strict=True)]
        if self.structure[op]["counted"]:
            values.append((D.int32, SCALAR))
        return values

    def emit_while_header(self, op: Operation) -> None:
        st = self.structure[op]
        n = len(SPECS[op].args)
        ctrl = ["^" + self.control_name(c) for c in op.control_inputs]
        for k, (dtype, shape) in enumerate(self.loop_values(op)):
            if k < n:
                init = self.ref(op.inputs[k], self.context(op), op)
            else:
                init = self.unique(f"{_scope(op)}/iteration_counter")
                self.add(init, "Const", ctrl, self.const_attrs(0), [shape])
            fake = _Typed(dtype, shape)
            node = self.add(
                st["enters"][k], "Enter", [init], self.enter_attrs(op, fake, False), [shape]
            )
            node.input.extend(ctrl)
            self.add(
                st["merges"][k],
                "Merge",
                [st["enters"][k], st["nexts"][k]],
                {"T": dtype, "N": 2},
                [shape, SCALAR],
            )

    def emit_while(self, op: Operation) -> None:
        spec = SPECS[op]
        st = self.structure[op]
        n = len(spec.args)
        int32 = D.int32
        cond = self.ref(spec.cond.outputs[0], (op, "cond"), op)
        if st["counted"] and spec.has_max:
            limit = self.ref(op.inputs[n], (op, "cond"), op)
            less = self.unique(f"{_scope(op)}/Less")
            both = self.unique(f"{_scope(op)}/LogicalAnd")
            self.add(less, "Less", [st["merges"][n], limit], {"T": int32}, [SCALAR])
            self.add(both, "LogicalAnd", [less, cond], {}, [SCALAR])
            cond = both
        self.add(st["loop_cond"], "LoopCond", [cond], {}, [SCALAR])
        for k, (dtype, shape) in enumerate(self.loop_values(op)):
            self.add(
                st["switches"][k],
                "Switch",
                [st["merges"][k], st["loop_cond"]],
                {"T": dtype},
                [shape, shape],
            )
            self.add(st["idents"][k], "Identity", [st["switches"][k] + ":1"], {"T": dtype}, [shape])
            if k < n:
                nxt = self.ref(spec.body.outputs[k], (op, "body"), op)
            else:
                one = self.unique(f"{_scope(op)}/add/y")
                self.add(one, "Const", ["^" + st["idents"][k]], self.const_attrs(1), [shape])
                nxt = self.unique(f"{_scope(op)}/add")
                self.add(nxt, "AddV2", [st["idents"][k], one], {"T": int32}, [shape])
            self.add(st["nexts"][k], "NextIteration", [nxt], {"T": dtype}, [shape])
            exit_ = st["outputs"][k]
            self.add(exit_, "Exit", [st["switches"][k]], {"T": dtype}, [shape], op.device)

    def const_attrs(self, value: int) -> dict:
        return {"value": np.array(value, np.int32), "dtype": D.int32}

    def emit_op(self, op: Operation) -> None:
        ctx = self.context(op)
        n = self.node_def_of(op, self.add_shapes)
        del n.input[:]
        refs = op.op_def.ref_inputs
        n.input.extend(self.ref(t, ctx, op, i in refs) for i, t in enumerate(op.inputs))
        n.input.extend("^" + self.control_name(c) for c in op.control_inputs)
        if ctx is not None and self.needs_pivot(op, ctx, n):
            n.input.append("^" + self.pivot(ctx))
        self.nodes.append(n)

    def needs_pivot(self, op: Operation, ctx, node) -> bool:
        """Whether ``op`` needs a control input on its frame's pivot to run once per branch
        taken or per iteration, as TF1 adds one: an op with no inputs, and in a loop an op
        that reads only loop invariants (constant Enters), which would otherwise run once."""
        if not node.input:
            return True
        if ctx[0].type != "While" or op.control_inputs:
            return False
        invariant = {name for (c, _, _), name in self.entries.items() if c == ctx}
        return all(i in invariant for i in node.input)

    def control_name(self, c: Operation) -> str:
        if self.lowered(c):
            return self.structure[c]["outputs"][0].split(":")[0]
        return c.name

    def pivot(self, ctx) -> str:
        fop, part = ctx
        st = self.structure[fop]
        if fop.type == "If":
            return st["switch_t"] if part == 1 else st["switch_f"]
        return st["merges"][0] if part == "cond" else st["idents"][0]

    def open_frames(self, op: Operation) -> None:
        """Writes the entry nodes of each frame ``op`` runs in (outermost first), once."""
        chain = self.ancestors(self.context(op))
        if self.lowered(op):
            chain.insert(0, (op, None))
        for fop, _ in reversed(chain):
            if fop not in self.opened:
                self.opened.add(fop)
                (self.emit_if_header if fop.type == "If" else self.emit_while_header)(fop)

    def run(self) -> list:
        for op in self.ops:
            if self.lowered(op):
                (self.plan_if if op.type == "If" else self.plan_while)(op)
        self.opened: set = set()
        for op in self.ops:
            self.open_frames(op)
            if op in self.arg_of:
                continue  # written as the loop's Identity
            if self.lowered(op):
                (self.emit_if if op.type == "If" else self.emit_while)(op)
            else:
                self.emit_op(op)
        return self.nodes


class _Typed:
    """A dtype and shape standing in for a tensor (the counter loop variable has none)."""

    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape


def _pb():
    from summaries.proto import (
        attr_value_pb2,
        graph_pb2,
        node_def_pb2,
        tensor_pb2,
        tensor_shape_pb2,
    )

    return attr_value_pb2, graph_pb2, node_def_pb2, tensor_pb2, tensor_shape_pb2


def has_control_flow(graph) -> bool:
    return any(Lowering.lowered(op) for op in graph.get_operations())


def exported_tensor_name(t: Tensor) -> str:
    """The name ``t`` has in the graph's exported (lowered) GraphDef: ``while/Exit_1:0`` for
    output 1 of the While op ``while/Exit``, ``cond/Merge_1:0`` for output 1 of an If."""
    if not Lowering.lowered(t.op):
        return t.name
    low = Lowering(t.op.graph, None, None, False)
    (low.plan_if if t.op.type == "If" else low.plan_while)(t.op)
    name = low.own_name(t)
    return name if ":" in name else name + ":0"
