"""Import of TF1's lowered control flow: a GraphDef written by ``tf.compat.v1`` (or by our
export, `lowering`) with ``Switch``/``Merge`` conds and ``Enter``/``Merge``/``Switch``/
``LoopCond``/``NextIteration``/``Exit`` loops is raised back into the engine's functional
``If``/``While`` ops, whose branches and bodies are the imported nodes.

How the structures are found (names are not trusted, the wiring is):

* a loop is the set of ``Enter`` nodes of one ``frame_name``; each non-constant ``Enter`` is a
  loop variable: its ``Merge`` (Enter, NextIteration), the ``Switch`` (Merge, LoopCond) reading
  that Merge, the ``Identity`` of the Switch's output 1 (the body's view) and the ``Exit`` of
  its output 0. The cond is what ``LoopCond`` reads back to the Merges; the body is what the
  ``NextIteration`` nodes read back to the Identities. Constant ``Enter`` nodes bring outer
  tensors in; they become captures.
* a cond is the ``Merge`` nodes of one name scope that read no ``Enter``/``NextIteration``; its
  predicate is the scope's pivot ``Switch`` (pred, pred); each Merge input's branch is what it
  reads back to the ``Switch`` nodes of that predicate, and the Switch output it reaches (1 or
  0) says which branch.

Switch, Enter, LoopCond and NextIteration nodes are not created: what reads them reads the
tensor they forward. ``Merge_k``/``Exit_k`` (k ≥ 1) become Identity ops of the functional op's
output k, so TF's names (``while/Exit_1:0``) still name the values.
"""

from __future__ import annotations

from ..core import TensorShape
from .subgraph import SPECS, SubGraph, make_arg, outer_control_inputs, own

LOWERED_OPS = frozenset(
    {"Switch", "RefSwitch", "Merge", "Enter", "RefEnter", "Exit", "NextIteration", "LoopCond"}
)


def _parse(s: str):
    if s.startswith("^"):
        return s[1:], -1
    name, sep, idx = s.rpartition(":")
    if sep and idx.isdigit():
        return name, int(idx)
    return s, 0


def has_lowered_control_flow(nodes) -> bool:
    return any(n.op in LOWERED_OPS for n in nodes)


class _Loop:
    def __init__(self, frame):
        self.frame = frame
        self.vars: list = []  # (enter, merge, switch, identity, exit or None, next_iteration)
        self.loop_cond = None
        self.op = None
        self.parallel_iterations = 10


class _Cond:
    def __init__(self, scope, pred):
        self.scope = scope
        self.pred = pred  # the pivot Switch node's data input (string)
        self.merges: list = []
        self.ports: dict = {}  # merge name -> (input giving port 0, input giving port 1)
        self.members: tuple = (set(), set())  # per branch: node names
        self.op = None


class Raising:
    """What the importer needs to raise lowered control flow: nodes it does not create, edges
    and extra dependencies for its topological order, and the handlers building the ops."""

    def __init__(self, nodes):
        self.by_name = {n.name: n for n in nodes}
        self.consumers: dict = {}
        for n in nodes:
            for inp in n.input:
                src, idx = _parse(inp)
                self.consumers.setdefault(src, []).append((n, idx))
        self.skip: set = set()
        self.ignore_edges: set = set()  # (node, input node) left out of the order
        self.extra_deps: dict = {}
        self.loop_of: dict = {}  # frame node name -> _Loop
        self.cond_of: dict = {}  # Merge name -> _Cond
        self._find_loops(nodes)
        self._find_conds(nodes)
        # A Switch outside any structure found (one whose outputs nothing merges) forwards too.
        self.skip.update(n.name for n in nodes if n.op in ("Switch", "RefSwitch"))

    # ---- analysis --------------------------------------------------------------------------

    def _only(self, name, op_type, idx=None):
        for n, i in self.consumers.get(name, []):
            if n.op == op_type and (idx is None or i == idx):
                return n
        return None

    def _find_loops(self, nodes):
        loops: dict = {}
        for n in nodes:
            if n.op not in ("Enter", "RefEnter"):
                continue
            frame = n.attr["frame_name"].s.decode()
            loop = loops.setdefault(frame, _Loop(frame))
            loop.parallel_iterations = n.attr["parallel_iterations"].i or 10
            self.skip.add(n.name)
            self.loop_of[n.name] = loop
            if n.attr["is_constant"].b:
                continue
            merge = self._only(n.name, "Merge")
            if merge is None:
                raise ValueError(f"Enter '{n.name}' of frame '{frame}' feeds no Merge")
            nxt = next(
                (self.by_name[_parse(i)[0]] for i in merge.input
                 if self.by_name.get(_parse(i)[0]) is not None
                 and self.by_name[_parse(i)[0]].op == "NextIteration"),
                None,
            )  # fmt: skip
            switch = self._only(merge.name, "Switch", 0)
            if nxt is None or switch is None:
                raise ValueError(f"Loop variable '{n.name}' of frame '{frame}' is not closed")
            ident = self._only(switch.name, "Identity", 1)
            exit_ = self._only(switch.name, "Exit", 0)
            if ident is None:
                raise ValueError(f"Switch '{switch.name}' of frame '{frame}' has no Identity")
            loop.loop_cond = self.by_name[_parse(switch.input[1])[0]]
            loop.vars.append((n, merge, switch, ident, exit_, nxt))
            self.ignore_edges.add((merge.name, nxt.name))
            for m in (merge, switch, ident, nxt, loop.loop_cond) + ((exit_,) if exit_ else ()):
                self.skip.add(m.name)
                self.loop_of[m.name] = loop
        for loop in loops.values():
            if not loop.vars:
                continue
            deps = [loop.loop_cond.name] + [v[5].name for v in loop.vars]
            for v in loop.vars:
                if v[4] is not None:
                    self.extra_deps.setdefault(v[4].name, []).extend(deps)

    def _pred_root(self, name: str) -> str:
        seen = set()
        src, idx = _parse(name)
        while src in self.by_name and self.by_name[src].op == "Identity" and src not in seen:
            seen.add(src)
            src, idx = _parse(self.by_name[src].input[0])
        return f"{src}:{idx}"

    def _find_conds(self, nodes):
        conds: dict = {}
        for n in nodes:
            if n.op != "Merge" or n.name in self.skip:
                continue
            if len(n.input) != 2:
                raise ValueError(
                    f"Merge '{n.name}' of a cond must have 2 inputs, has {len(n.input)}"
                )
            scope = n.name.rpartition("/")[0]
            cond = conds.get(scope)
            if cond is None:
                pivot = self.by_name.get(f"{scope}/Switch" if scope else "Switch")
                if pivot is None or pivot.op != "Switch" or pivot.input[0] != pivot.input[1]:
                    raise ValueError(f"Merge '{n.name}': no pivot Switch (pred, pred) in its scope")
                cond = conds[scope] = _Cond(scope, pivot.input[0])
            cond.merges.append(n)
            self.cond_of[n.name] = cond
            self.skip.add(n.name)
        for cond in conds.values():
            root = self._pred_root(cond.pred)
            for m in cond.merges:
                ports = [self._branch(cond, inp, root) for inp in m.input]
                if sorted(ports) != [0, 1]:
                    raise ValueError(f"Merge '{m.name}': its inputs are not one per branch")
                cond.ports[m.name] = tuple(m.input[ports.index(p)] for p in (0, 1))
            deps = [_parse(i)[0] for m in cond.merges for i in m.input]
            for m in cond.merges:
                self.extra_deps.setdefault(m.name, []).extend(deps)

    def _branch(self, cond, inp: str, root: str) -> int:
        """Walks back from a Merge input to the cond's Switches; returns the port reached and
        adds the nodes passed to that branch."""
        ports, members = set(), set()
        stack = [inp]
        while stack:
            s = stack.pop()
            src, idx = _parse(s)
            n = self.by_name.get(src)
            if n is None:
                continue
            if n.op in ("Switch", "RefSwitch") and self._pred_root(n.input[1]) == root:
                ports.add(max(idx, 0))
                self.skip.add(n.name)
                continue
            if src in members:
                continue
            members.add(src)
            stack.extend(n.input)
        if len(ports) != 1:
            raise ValueError(f"cond '{cond.scope}': input '{inp}' reaches both branches or none")
        port = ports.pop()
        cond.members[port].update(members)
        return port

    # ---- building (called by the importer in its order) -------------------------------------

    def handle(self, n, resolve, aliases, created, graph, prefix):
        """Builds what node ``n`` (one of `skip`) stands for; sets ``aliases`` for its outputs."""
        if n.name in self.cond_of:
            self._build_cond(self.cond_of[n.name], n, resolve, aliases, created, graph, prefix)
            return
        if n.op in ("Switch", "RefSwitch") and n.name not in self.loop_of:
            aliases[f"{n.name}:0"] = aliases[f"{n.name}:1"] = resolve(n.input[0])
            return
        loop = self.loop_of.get(n.name)
        if loop is None:
            return
        if n.op in ("Enter", "RefEnter"):
            aliases[f"{n.name}:0"] = resolve(n.input[0])
            return
        for k, (enter, merge, _switch, ident, exit_, _nxt) in enumerate(loop.vars):
            if n is merge:
                init = resolve(enter.input[0])
                shape = _shape_attr(merge) or TensorShape(
                    None if init.shape.ndims is None else [None] * init.shape.ndims
                )
                arg = make_arg(graph, init.dtype, shape, prefix + ident.name + "/")
                aliases[f"{merge.name}:0"] = aliases[f"{ident.name}:0"] = arg
                created[ident.name] = arg.op
                return
            if n is exit_:
                if loop.op is None:
                    self._build_loop(loop, resolve, created, graph, prefix)
                out = loop.op.outputs[k]
                if k > 0:
                    out = graph.create_op(
                        "Identity", [out], {"T": out.dtype}, name=prefix + n.name + "/"
                    ).outputs[0]
                aliases[f"{n.name}:0"] = out
                created[n.name] = out.op
                return

    def _ops(self, names, created) -> list:
        """The ops made for nodes ``names``, with the functional op of each nested structure
        they pass through (its Exit/Merge outputs may be read through an Identity only)."""
        ops = {created[m] for m in names if m in created}
        for m in names:
            inner = self.loop_of.get(m) or self.cond_of.get(m)
            if inner is not None and inner.op is not None:
                ops.add(inner.op)
        return sorted(ops, key=lambda op: op._id)

    def _walk(self, starts, stops) -> set:
        seen: set = set()
        stack = [_parse(s)[0] for s in starts]
        while stack:
            src = stack.pop()
            if src in seen or src in stops or src not in self.by_name:
                continue
            seen.add(src)
            stack.extend(_parse(i)[0] for i in self.by_name[src].input)
        return seen

    def _build_loop(self, loop, resolve, created, graph, prefix):
        args = [resolve(f"{v[3].name}:0") for v in loop.vars]
        init = [resolve(v[0].input[0]) for v in loop.vars]
        stops = {m for m, lp in self.loop_of.items() if lp is loop} - {loop.loop_cond.name}
        cond_out = resolve(loop.loop_cond.input[0])
        body_outs = [resolve(v[5].input[0]) for v in loop.vars]
        cond_ops = self._ops(self._walk([loop.loop_cond.input[0]], stops), created)
        body_ops = self._ops(self._walk([v[5].input[0] for v in loop.vars], stops), created)
        cond_sg = SubGraph.build(cond_ops, args, [cond_out])
        body_sg = SubGraph.build(body_ops, args, body_outs)
        moved = outer_control_inputs(cond_ops, cond_sg.op_set)
        moved += outer_control_inputs(body_ops, body_sg.op_set)
        captures = list(dict.fromkeys(cond_sg.captures + body_sg.captures))
        shapes = [a.shape for a in args]
        attrs = {
            "T": [a.dtype for a in args],
            "output_shapes": shapes,
            "parallel_iterations": int(loop.parallel_iterations),
            "back_prop": True,
        }
        first_exit = next(v[4] for v in loop.vars if v[4] is not None)
        from .while_loop import WhileSpec

        op = graph.create_op(
            "While",
            init + captures,
            attrs,
            name=prefix + first_exit.name + "/",
            control_inputs=list(dict.fromkeys(moved)),
        )
        SPECS[op] = WhileSpec(cond_sg, body_sg, args, shapes, False, captures, True)
        own([a.op for a in args] + cond_ops + body_ops, op)
        loop.op = op
        for k, v in enumerate(loop.vars):
            if v[4] is first_exit and k > 0:
                raise ValueError(f"Loop '{loop.frame}': its first Exit is not its first variable's")

    def _build_cond(self, cond, n, resolve, aliases, created, graph, prefix):
        if cond.op is None:
            self._make_if(cond, resolve, created, graph, prefix)
        k = cond.merges.index(n)
        out = cond.op.outputs[k]
        if k > 0:
            out = graph.create_op(
                "Identity", [out], {"T": out.dtype}, name=prefix + n.name + "/"
            ).outputs[0]
        aliases[f"{n.name}:0"] = out
        created[n.name] = out.op

    def _make_if(self, cond, resolve, created, graph, prefix):
        from ..ops.array import identity
        from .cond import make_if

        pred = resolve(cond.pred)
        branches = []
        for port in (0, 1):
            ops = self._ops(cond.members[port], created)
            op_set = set(ops)
            outs = []
            for m in cond.merges:
                t = resolve(cond.ports[m.name][port])
                if t.op not in op_set:
                    with graph.name_scope(None):
                        t = identity(
                            t, name=prefix + (cond.scope + "/" if cond.scope else "") + "Identity"
                        )
                    ops.append(t.op)
                    op_set.add(t.op)
                outs.append(t)
            branches.append((ops, outs))
        (f_ops, f_outs), (t_ops, t_outs) = branches
        op = make_if(
            graph, pred, (t_ops, t_outs), (f_ops, f_outs), prefix + cond.merges[0].name + "/"
        )
        cond.op = op


def _shape_attr(n):
    if "_output_shapes" not in n.attr:
        return None
    shapes = n.attr["_output_shapes"].list.shape
    if not shapes:
        return None
    p = shapes[0]
    if p.unknown_rank:
        return TensorShape(None)
    return TensorShape([None if d.size < 0 else d.size for d in p.dim])
