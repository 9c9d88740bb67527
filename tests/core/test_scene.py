import json

from hypothesis import given, settings
from hypothesis import strategies as st

from agentloop.scene import Node, Relation, SceneGraph

ids = st.sampled_from([f"n{i}" for i in range(8)])
attr_values = st.one_of(st.booleans(), st.integers(0, 3), st.sampled_from(["red", "blue", "open"]))
nodes = st.lists(
    st.builds(
        lambda i, kind, attrs: Node(id=i, kind=kind, name=i.upper(), attrs=attrs),
        ids, st.sampled_from(["object", "drawer", "button"]),
        st.dictionaries(st.sampled_from(["open", "colour", "held", "visible"]), attr_values, max_size=3),
    ),
    max_size=6, unique_by=lambda n: n.id,
)
rels = st.lists(st.builds(Relation, src=ids, rel=st.sampled_from(["on", "in", "left_of"]), dst=ids), max_size=6, unique=True)
graphs = st.builds(lambda n, r: SceneGraph(nodes=n, relations=r), nodes, rels)


@given(graphs)
def test_json_round_trip(g):
    again = SceneGraph.model_validate_json(g.model_dump_json())
    assert again == g
    assert again.state_key() == g.state_key()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
any_graphs = st.builds(
    lambda n, r, m: SceneGraph(nodes=n, relations=r, meta=m),
    st.lists(st.builds(Node, id=st.text(max_size=6), kind=st.text(max_size=6), name=st.text(max_size=6),
                       attrs=st.dictionaries(st.text(max_size=6), json_values, max_size=4)), max_size=5),
    rels, st.dictionaries(st.text(max_size=6), json_values, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(any_graphs)
def test_a_graph_round_trips_through_its_json(g):
    g.node_map()  # the lookup cache must not reach the JSON
    assert json.loads(g.model_dump_json()) == g.model_dump(mode="json")  # NaN and infinity are None in both
    assert "_node_map" not in g.model_dump()


@given(graphs)
def test_diff_with_itself_is_empty(g):
    assert SceneGraph.diff(g, g).empty


@given(graphs, graphs)
def test_diff_accounts_for_every_difference(a, b):
    d = SceneGraph.diff(a, b)
    assert set(d.added) == set(b.node_map()) - set(a.node_map())
    assert set(d.removed) == set(a.node_map()) - set(b.node_map())
    assert set(d.relations_added) == set(b.relations) - set(a.relations)
    assert set(d.relations_removed) == set(a.relations) - set(b.relations)
    for nid, changes in d.changed.items():
        for key, ch in changes.items():
            before = a.node(nid).attrs.get(key) if key not in ("kind", "name") else getattr(a.node(nid), key)
            after = b.node(nid).attrs.get(key) if key not in ("kind", "name") else getattr(b.node(nid), key)
            assert (ch.before, ch.after) == (before, after)
            assert (type(before), before) != (type(after), after)  # False and 0 differ, as in JSON
    assert d.empty == (a.state_key() == b.state_key())


@given(graphs, st.randoms())
def test_state_key_ignores_order_and_measurements(g, rnd):
    shuffled = SceneGraph(nodes=rnd.sample(g.nodes, len(g.nodes)), relations=rnd.sample(g.relations, len(g.relations)))
    assert shuffled.state_key() == g.state_key()
    jittered = SceneGraph(
        nodes=[n.model_copy(update={"attrs": {**n.attrs, "position": [rnd.random(), 0.1, 0.2]}}) for n in g.nodes],
        relations=g.relations,
    )
    assert jittered.state_key() == g.state_key()


def test_text_rendering_is_compact_and_complete():
    g = SceneGraph(
        nodes=[Node(id="red_cube", kind="object", name="red cube", attrs={"colour": "red", "bbox": [1, 2, 3, 4]}),
               Node(id="bowl", kind="container")],
        relations=[Relation(src="red_cube", rel="in", dst="bowl")],
        meta={"offscreen": 3},
    )
    text = g.to_text()
    assert text.splitlines() == [
        '[red_cube] object "red cube" colour="red"; in bowl',
        "[bowl] container",
        "(offscreen: 3)",
    ]


def test_false_and_zero_are_different_states():
    a = SceneGraph(nodes=[Node(id="n1", kind="object", attrs={"open": False})])
    b = SceneGraph(nodes=[Node(id="n1", kind="object", attrs={"open": 0})])
    assert not SceneGraph.diff(a, b).empty and a.state_key() != b.state_key()
