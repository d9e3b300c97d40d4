"""tf.app / tf.flags / tf.logging / tf.gfile / tf.set_random_seed, with the behaviour checked
against tensorflow-cpu's tf.compat.v1 (messages and exit codes noted from it)."""

import logging
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import engine as tf
from engine import flags as F


@pytest.fixture
def fv():
    values = F.FlagValues()
    F.DEFINE_string("name", "x", "a name", flag_values=values)
    F.DEFINE_boolean("flag", False, "a switch", flag_values=values)
    F.DEFINE_list("ls", ["a"], "a list", flag_values=values)
    F.DEFINE_enum("mode", "a", ["a", "b"], "a mode", flag_values=values)
    F.DEFINE_integer("n", 3, "a count", lower_bound=0, flag_values=values)
    F.DEFINE_float("lr", 0.5, "a rate", flag_values=values)
    return values


def test_flags_parse_like_absl(fv):
    with pytest.raises(F.UnparsedFlagAccessError, match="before flags were parsed"):
        _ = fv.name
    rest = fv(
        ["prog", "--name=y", "pos", "--noflag", "--ls", "p,q", "--unk=1", "--n", "4", "-lr=2"],
        known_only=True,
    )
    assert rest == ["prog", "pos", "--unk=1"]
    assert (fv.name, fv.flag, fv.ls, fv.n, fv.lr, fv.mode) == ("y", False, ["p", "q"], 4, 2.0, "a")
    assert fv(["p", "--flag", "--", "--name=z"]) == ["p", "--name=z"]
    assert fv.flag is True and fv.name == "y"
    assert fv.flag_values_dict() == {
        "name": "y",
        "flag": True,
        "ls": ["p", "q"],
        "mode": "a",
        "n": 4,
        "lr": 2.0,
    }
    fv.name = "set"
    assert fv.name == "set" and fv["name"].default == "x"


@pytest.mark.parametrize(
    "argv, error, message",
    [
        (["p", "--n=-1"], F.IllegalFlagValueError, "flag --n=-1: -1 is not a non-negative integer"),
        (
            ["p", "--mode=c"],
            F.IllegalFlagValueError,
            r"flag --mode=c: value should be one of <a\|b>",
        ),
        (["p", "--unk"], F.UnrecognizedFlagError, "Unknown command line flag 'unk'"),
        (["p", "--n=abc"], F.IllegalFlagValueError, "flag --n=abc: invalid literal for int"),
        (["p", "--n"], F.Error, "Missing value for flag --n"),
        (["p", "--flag=maybe"], F.IllegalFlagValueError, "Non-boolean argument"),
    ],
)
def test_flag_errors(fv, argv, error, message):
    with pytest.raises(error, match=message):
        fv(argv)


def test_required_and_duplicate_flags(fv):
    F.DEFINE_string("req", None, "needed", flag_values=fv)
    F.mark_flag_as_required("req", flag_values=fv)
    with pytest.raises(
        F.IllegalFlagValueError, match="Flag --req must have a value other than None"
    ):
        fv(["p"])
    assert fv(["p", "--req", "ok"]) == ["p"] and fv.req == "ok"
    with pytest.raises(F.DuplicateFlagError):
        F.DEFINE_string("req", "", "again", flag_values=fv)


def _run_script(tmp_path, body, *args):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=120
    )


def test_app_run_parses_flags_and_exits_with_main_result(tmp_path):
    result = _run_script(
        tmp_path,
        """
        import engine as tf
        tf.app.flags.DEFINE_integer("n", 3, "number of things")
        FLAGS = tf.app.flags.FLAGS
        def main(argv):
            print("main", argv[1:], FLAGS.n)
            return 3
        if __name__ == "__main__":
            tf.app.run()
        """,
        "--n",
        "5",
        "extra",
        "--zz=1",
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == "main ['extra', '--zz=1'] 5"
    helped = _run_script(
        tmp_path,
        """
        import engine as tf
        tf.flags.DEFINE_integer("n", 3, "number of things")
        tf.app.run(lambda argv: 0)
        """,
        "--help",
    )
    assert helped.returncode == 1 and "--n: number of things" in helped.stdout
    bad = _run_script(
        tmp_path,
        """
        import engine as tf
        tf.flags.DEFINE_integer("n", 3, "number of things")
        tf.app.run(lambda argv: 0)
        """,
        "--n=x",
    )
    assert bad.returncode == 1 and "flag --n=x" in bad.stderr


def test_argparse_pattern_of_the_tf1_tutorials(tmp_path):
    result = _run_script(
        tmp_path,
        """
        import argparse, sys
        import engine as tf
        FLAGS = None
        def main(_):
            print(FLAGS.max_steps, FLAGS.log_dir, _[1:])
        if __name__ == "__main__":
            parser = argparse.ArgumentParser()
            parser.add_argument("--max_steps", type=int, default=10)
            parser.add_argument("--log_dir", type=str, default="/tmp/x")
            FLAGS, unparsed = parser.parse_known_args()
            tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
        """,
        "--max_steps=4",
        "--other",
        "v",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4 /tmp/x ['--other', 'v']"


def test_module_flags_parse_sys_argv_on_first_read_as_tensorflow(tmp_path):
    result = _run_script(
        tmp_path,
        """
        import engine as tf
        tf.flags.DEFINE_string("data_dir", "/d", "where")
        print(tf.flags.FLAGS.data_dir)
        """,
        "--data_dir=/elsewhere",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/elsewhere"


def test_logging_levels_and_records(caplog):
    assert (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR) == (
        10,
        20,
        30,
        40,
    )
    old = tf.logging.get_verbosity()
    try:
        tf.logging.set_verbosity(tf.logging.INFO)
        assert tf.logging.get_verbosity() == logging.INFO
        with caplog.at_level(logging.INFO, logger="engine"):
            tf.logging.info("step %d", 3)
            tf.logging.debug("hidden")
            tf.logging.warn("careful")
            tf.logging.error("bad")
            for i in range(5):
                tf.logging.log_every_n(tf.logging.INFO, "every %d", 2, i)
        messages = [r.getMessage() for r in caplog.records if r.name == "engine"]
        assert messages == ["step 3", "careful", "bad", "every 0", "every 2", "every 4"]
    finally:
        tf.logging.set_verbosity(old)


def test_gfile(tmp_path):
    g = tf.gfile
    root = str(tmp_path / "a")
    g.MakeDirs(root + "/b/c")
    g.MakeDirs(root + "/b/c")
    assert g.IsDirectory(root + "/b") and g.Exists(root + "/b/c")
    with pytest.raises(tf.AlreadyExistsError):
        g.MkDir(root + "/b")
    with pytest.raises(tf.NotFoundError):
        g.MkDir(root + "/x/y")
    with g.GFile(root + "/b/f.txt", "w") as f:
        f.write("hello\nworld\n")
    with g.Open(root + "/b/f.txt") as f:
        assert f.read() == "hello\nworld\n" and f.size() == 12
    with g.FastGFile(root + "/b/f.txt", "rb") as f:
        assert list(f) == [b"hello\n", b"world\n"]
    with pytest.raises(tf.NotFoundError):
        g.GFile(root + "/missing")
    assert sorted(g.ListDirectory(root + "/b")) == ["c", "f.txt"]
    assert g.Glob(root + "/b/*.txt") == [root + "/b/f.txt"]
    g.Copy(root + "/b/f.txt", root + "/g.txt")
    with pytest.raises(tf.AlreadyExistsError):
        g.Copy(root + "/b/f.txt", root + "/g.txt")
    g.Copy(root + "/b/f.txt", root + "/g.txt", overwrite=True)
    g.Rename(root + "/g.txt", root + "/h.txt")
    st = g.Stat(root + "/h.txt")
    assert st.length == 12 and not st.is_directory and st.mtime_nsec > 0
    walked = [(d[len(root) :], sorted(s), sorted(f)) for d, s, f in g.Walk(root)]
    assert walked == [("", ["b"], ["h.txt"]), ("/b", ["c"], ["f.txt"]), ("/b/c", [], [])]
    assert list(g.Walk(root + "/nope")) == []
    g.Remove(root + "/h.txt")
    with pytest.raises(tf.NotFoundError):
        g.Remove(root + "/h.txt")
    g.DeleteRecursively(root)
    assert not tf.io.gfile.exists(root)
    with pytest.raises(tf.NotFoundError):
        tf.io.gfile.listdir(root)
    tf.io.gfile.makedirs(root)
    assert tf.io.gfile.isdir(root) and tf.io.gfile.listdir(root) == []


def _draw(graph_seed, op_seed, runs=2):
    with tf.Graph().as_default():
        if graph_seed is not None:
            tf.set_random_seed(graph_seed)
        a = tf.random_normal([4], seed=op_seed)
        b = tf.random_uniform([3], seed=op_seed)
        with tf.Session() as sess:
            return [np.concatenate(sess.run([a, b])) for _ in range(runs)]


def test_seeds_give_the_same_sequences_across_graphs_and_processes():
    for graph_seed, op_seed in [(1, None), (1, 7), (None, 7), (0, 0)]:
        first, second = _draw(graph_seed, op_seed), _draw(graph_seed, op_seed)
        np.testing.assert_array_equal(first[0], second[0])
        np.testing.assert_array_equal(first[1], second[1])
        assert not np.array_equal(first[0], first[1]), "each run continues the sequence"
    assert not np.array_equal(_draw(1, None)[0], _draw(2, None)[0])
    assert not np.array_equal(_draw(1, 7)[0], _draw(1, 8)[0])
    assert not np.array_equal(_draw(None, None)[0], _draw(None, None)[0])
    code = "import numpy as np, engine as tf\n" + textwrap.dedent(
        """
        tf.set_random_seed(5)
        x = tf.truncated_normal([3])
        print(list(tf.Session().run(x)))
        """
    )
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
        for _ in range(2)
    }
    assert len(outs) == 1 and outs != {""}


def test_op_seeds_follow_tensorflows_rule():
    with tf.Graph().as_default():
        assert tf.get_seed(None) == (None, None)
        assert tf.get_seed(3) == (87654321, 3)
        tf.set_random_seed(2**31 + 4)
        tf.constant(1.0)
        assert tf.get_seed(None) == (5, 0)
        tf.constant(2.0)
        assert tf.get_seed(None) == (5, 1)
        assert tf.get_seed(2**31 - 1 + 9) == (5, 9)
        assert tf.get_seed(None) == (5, 2)
        tf.set_random_seed(0)
        assert tf.get_seed(0) == (0, 2**31 - 1)


def test_random_ops_get_the_seed_attributes_tensorflow_gives_them():
    """Seeds (seed, seed2) tf.compat.v1 put on these ops for this program (recorded from
    tensorflow-cpu): a graph-level seed, then a counter per op without its own seed."""
    random_types = {"RandomStandardNormal", "TruncatedNormal", "RandomUniform", "RandomUniformInt"}
    with tf.Graph().as_default() as g:
        tf.set_random_seed(1)
        tf.random_normal([2, 3])
        tf.truncated_normal([4], stddev=0.5)
        tf.random_uniform([3], maxval=2.0)
        tf.random_uniform([2], maxval=5, dtype=tf.int32)
        tf.placeholder(tf.float32, [None, 2])
        tf.random_normal([2, 2], seed=7)
        seeds = [
            (op.type, op.get_attr("seed"), op.get_attr("seed2"))
            for op in g.get_operations()
            if op.type in random_types
        ]
    assert seeds == [
        ("RandomStandardNormal", 1, 0),
        ("TruncatedNormal", 1, 1),
        ("RandomUniform", 1, 2),
        ("RandomUniformInt", 1, 3),
        ("RandomStandardNormal", 1, 7),
    ]


def test_tf1_era_flag_idioms(fv):
    fv(["p", "--name", "z"])
    assert {k: f.value for k, f in fv.__flags.items()}["name"] == "z"
    assert "name" in fv and "nope" not in fv
    with pytest.raises(AttributeError):
        _ = fv.nope
