"""Generates tests/engine/fixtures/lowered/: GraphDefs with TF1's lowered control flow
(Switch/Merge, Enter/Exit/NextIteration/LoopCond) and what TensorFlow computes from them, for
the programs in lowered_programs.py. Two steps, the first with the engine, the second with
tensorflow-cpu (the test suite needs neither TensorFlow nor a rerun):

  python3 tests/engine/make_tf_lowered_graph_fixtures.py --engine
      writes engine_<program>.pb: the engine's export of each program;
  /tmp/tfvenv/bin/python tests/engine/make_tf_lowered_graph_fixtures.py
      writes tf_<program>.pb (tf.compat.v1's GraphDef, control flow v1), imports both GraphDefs
      into TF with tf.compat.v1.import_graph_def and runs them: values.npz holds
      tf/<program>/<fetch> and engine_in_tf/<program>/<fetch>; graphs.json the fetch names and
      the control-flow nodes (name, op) of each TF GraphDef.
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "lowered")
sys.path.insert(0, HERE)
from lowered_programs import PROGRAMS, build, run_graph_def  # noqa: E402

CONTROL_FLOW_OPS = ("Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond")


def control_flow_nodes(graph_def):
    return sorted([n.name, n.op] for n in graph_def.node if n.op in CONTROL_FLOW_OPS)


def write_engine_graphs():
    import engine as eg
    from engine.control_flow.lowering import exported_tensor_name

    os.makedirs(OUT, exist_ok=True)
    fetches = {}
    for name in PROGRAMS:
        g, fetch_names, _ = build(eg, name)
        with open(os.path.join(OUT, f"engine_{name}.pb"), "wb") as f:
            f.write(g.as_graph_def().SerializeToString(deterministic=True))
        fetches[name] = {
            k: exported_tensor_name(g.get_tensor_by_name(t)) for k, t in fetch_names.items()
        }
    with open(os.path.join(OUT, "engine_fetches.json"), "w") as f:
        json.dump(fetches, f, indent=1, sort_keys=True)
    print(f"wrote {len(PROGRAMS)} engine GraphDefs to {OUT}")


def run_in_tensorflow():
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    tf.disable_control_flow_v2()
    with open(os.path.join(OUT, "engine_fetches.json")) as f:
        engine_fetches = json.load(f)
    arrays, graphs = {}, {}
    for name in PROGRAMS:
        g, fetch_names, feeds = build(tf, name)
        gd = g.as_graph_def()
        with open(os.path.join(OUT, f"tf_{name}.pb"), "wb") as f:
            f.write(gd.SerializeToString(deterministic=True))
        for k, v in run_graph_def(tf, gd, fetch_names, feeds).items():
            arrays[f"tf/{name}/{k}"] = np.asarray(v)
        ours = tf.GraphDef()
        with open(os.path.join(OUT, f"engine_{name}.pb"), "rb") as f:
            ours.ParseFromString(f.read())
        for k, v in run_graph_def(tf, ours, engine_fetches[name], feeds).items():
            arrays[f"engine_in_tf/{name}/{k}"] = np.asarray(v)
        graphs[name] = {"fetches": fetch_names, "control_flow": control_flow_nodes(gd)}
    np.savez_compressed(os.path.join(OUT, "values.npz"), **arrays)
    with open(os.path.join(OUT, "graphs.json"), "w") as f:
        json.dump(graphs, f, indent=1, sort_keys=True)
    print(f"wrote {len(arrays)} values and {len(graphs)} TF GraphDefs to {OUT}")


if __name__ == "__main__":
    if "--engine" in sys.argv:
        write_engine_graphs()
    else:
        run_in_tensorflow()
