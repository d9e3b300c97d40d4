"""Our generated protos carry TensorBoard's field numbers and coexist with TensorBoard's."""

from __future__ import annotations

import importlib

import pytest

from summaries.proto import (
    config_pb2,
    event_pb2,
    graph_pb2,
    hparams_api_pb2,
    hparams_plugin_data_pb2,
    summary_pb2,
)

TB = "tensorboard.compat.proto."
# (our module, TensorBoard's module) pairs; every message of ours must match TensorBoard's.
PAIRS = [
    ("event_pb2", TB + "event_pb2"),
    ("summary_pb2", TB + "summary_pb2"),
    ("histogram_pb2", TB + "histogram_pb2"),
    ("tensor_pb2", TB + "tensor_pb2"),
    ("tensor_shape_pb2", TB + "tensor_shape_pb2"),
    ("resource_handle_pb2", TB + "resource_handle_pb2"),
    ("types_pb2", TB + "types_pb2"),
    ("graph_pb2", TB + "graph_pb2"),
    ("node_def_pb2", TB + "node_def_pb2"),
    ("attr_value_pb2", TB + "attr_value_pb2"),
    ("versions_pb2", TB + "versions_pb2"),
    ("step_stats_pb2", TB + "step_stats_pb2"),
    ("tensor_description_pb2", TB + "tensor_description_pb2"),
    ("allocation_description_pb2", TB + "allocation_description_pb2"),
    ("config_pb2", TB + "config_pb2"),
    ("hparams_api_pb2", "tensorboard.plugins.hparams.api_pb2"),
    ("hparams_plugin_data_pb2", "tensorboard.plugins.hparams.plugin_data_pb2"),
    ("plugin_data_pb2", "tensorboard.plugins.text.plugin_data_pb2"),
    ("plugin_data_pb2", "tensorboard.plugins.image.plugin_data_pb2"),
    ("plugin_data_pb2", "tensorboard.plugins.audio.plugin_data_pb2"),
]


def _type_name(field) -> str:
    target = field.message_type or field.enum_type
    return target.name if target else ""


def _check_message(ours, theirs) -> int:
    checked = 0
    their_fields = {f.name: f for f in theirs.fields}
    for field in ours.fields:
        assert field.name in their_fields, f"{ours.full_name}.{field.name} not in TensorBoard's"
        other = their_fields[field.name]
        where = f"{ours.full_name}.{field.name}"
        assert field.number == other.number, where
        assert field.type == other.type, where
        assert field.is_repeated == other.is_repeated, where
        assert _type_name(field) == _type_name(other), where
        checked += 1
    for enum in ours.enum_types:
        their_enum = theirs.enum_types_by_name[enum.name]
        assert {v.name: v.number for v in enum.values} == {
            v.name: v.number for v in their_enum.values
        }
    for nested in ours.nested_types:
        if nested.GetOptions().map_entry:
            continue
        checked += _check_message(nested, theirs.nested_types_by_name[nested.name])
    return checked


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_field_numbers_match_tensorboard(ours, theirs):
    our_file = importlib.import_module(f"summaries.proto.{ours}").DESCRIPTOR
    their_file = importlib.import_module(theirs).DESCRIPTOR
    common = set(our_file.message_types_by_name) & set(their_file.message_types_by_name)
    assert common or our_file.enum_types_by_name, (ours, theirs)
    for name in common:
        assert (
            _check_message(
                our_file.message_types_by_name[name], their_file.message_types_by_name[name]
            )
            >= 1
        )
    for name, enum in our_file.enum_types_by_name.items():
        their_values = {v.name: v.number for v in their_file.enum_types_by_name[name].values}
        assert {v.name: v.number for v in enum.values} == their_values


def test_own_package_names_do_not_clash():
    from tensorboard.compat.proto import event_pb2 as tb_event_pb2

    assert event_pb2.Event.DESCRIPTOR.full_name == "flowboard.summaries.Event"
    assert tb_event_pb2.Event.DESCRIPTOR.full_name == "tensorboard.Event"
    assert (
        hparams_api_pb2.Experiment.DESCRIPTOR.full_name == "flowboard.summaries.hparams.Experiment"
    )


def test_bytes_are_interchangeable_with_tensorboard():
    from tensorboard.compat.proto import event_pb2 as tb_event_pb2
    from tensorboard.compat.proto import graph_pb2 as tb_graph_pb2

    graph = graph_pb2.GraphDef()
    node = graph.node.add(name="scope/add", op="Add", input=["a", "b:1", "^c"], device="/cpu:0")
    node.attr["T"].type = 1
    node.attr["shape"].shape.dim.add(size=-1)
    node.attr["values"].list.i.extend([1, 2, 3])
    graph.versions.producer = 27
    event = event_pb2.Event(wall_time=1.5, step=7, graph_def=graph.SerializeToString())
    theirs = tb_event_pb2.Event.FromString(event.SerializeToString())
    assert theirs.SerializeToString() == event.SerializeToString()
    their_graph = tb_graph_pb2.GraphDef.FromString(theirs.graph_def)
    assert their_graph.node[0].attr["values"].list.i == [1, 2, 3]

    summary = summary_pb2.Summary()
    value = summary.value.add(tag="x", simple_value=0.25)
    value.metadata.plugin_data.plugin_name = "scalars"
    from tensorboard.compat.proto import summary_pb2 as tb_summary_pb2

    theirs = tb_summary_pb2.Summary.FromString(summary.SerializeToString())
    assert theirs.value[0].simple_value == 0.25
    assert theirs.value[0].metadata.plugin_data.plugin_name == "scalars"


def test_unmodelled_fields_survive_a_round_trip():
    from tensorboard.compat.proto import graph_pb2 as tb_graph_pb2

    theirs = tb_graph_pb2.GraphDef()
    theirs.library.function.add().signature.name = "f"
    theirs.node.add(name="n", op="NoOp").experimental_type.type_id = 3
    data = theirs.SerializeToString()
    assert graph_pb2.GraphDef.FromString(data).SerializeToString() == data


def test_run_metadata_carries_step_stats():
    run = config_pb2.RunMetadata()
    node = run.step_stats.dev_stats.add(device="/cpu:0").node_stats.add(node_name="MatMul")
    node.all_start_micros, node.op_end_rel_micros = 10, 25
    node.output.add(slot=0).tensor_description.allocation_description.requested_bytes = 64
    from tensorboard.compat.proto import config_pb2 as tb_config_pb2

    theirs = tb_config_pb2.RunMetadata.FromString(run.SerializeToString())
    assert theirs.step_stats.dev_stats[0].node_stats[0].op_end_rel_micros == 25
    assert hparams_plugin_data_pb2.HParamsPluginData(version=0).SerializeToString() == b""
