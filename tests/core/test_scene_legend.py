"""A scene's legend in its text: units said once above the nodes; boxes, as centre and size in
the legend's pixel space, only where it gives one, clipped to that space, and none where a node
shows nothing there to aim at."""

from agentloop.scene import Legend, Node, PixelSpace, Relation, SceneGraph

SPACE = PixelSpace(width=100, height=50, skills="the *_at skills")


def _graph(legend: Legend | None, *boxes: tuple[str, list[float], dict]) -> SceneGraph:
    return SceneGraph(nodes=[Node(id=i, kind="button", attrs={"bbox": b, **more}) for i, b, more in boxes],
                      legend=legend)


def test_without_a_pixel_space_boxes_stay_out():
    g = _graph(Legend(units="position in metres"), ("a", [10, 10, 20, 10], {}))
    assert g.to_text().splitlines() == ["(units: position in metres)", "[a] button"]
    assert _graph(None, ("a", [10, 10, 20, 10], {})).to_text() == "[a] button"


def test_boxes_print_as_centre_and_size_in_the_space_before_relations():
    g = _graph(Legend(pixels=SPACE), ("a", [10, 10, 20, 10], {}), ("b", [10.5, 30.25, 7.5, 4], {"value": "x"}))
    g.relations.append(Relation(src="a", rel="above", dst="b"))
    lines = g.to_text().splitlines()
    assert lines[0] == ("(boxes: at=(x,y) is a node's centre and size=WxH its extent, in pixels of the 100x50 "
                        "screenshot (origin top-left, x right, y down), as the *_at skills take them)")
    assert lines[1:] == ["[a] button at=(20,15) size=20x10; above b", '[b] button value="x" at=(14,32) size=8x4']


def test_a_box_is_clipped_to_the_space_and_dropped_where_nothing_shows():
    g = _graph(Legend(pixels=SPACE),
               ("half_off", [-20, 40, 40, 20], {}),          # sticks out left and below
               ("off", [120, 10, 10, 10], {}),               # right of the screen
               ("flat", [10, 10, 0, 10], {}),                # no pixels
               ("clipped", [10, 10, 20, 10], {"clipped": True}),  # its box shows something else
               ("hidden", [10, 10, 20, 10], {"visible": False}))
    lines = g.to_text().splitlines()[1:]
    assert lines[0] == "[half_off] button at=(10,45) size=20x10"
    assert lines[1:] == ["[off] button", "[flat] button", "[clipped] button clipped=True", "[hidden] button visible=False"]


def test_a_scaled_image_is_said_to_be_and_the_legend_round_trips():
    scaled = PixelSpace(width=1080, height=2400, skills="click", image=(540, 1200))
    g = _graph(Legend(units="durations in ms", pixels=scaled), ("a", [0, 0, 1080, 100], {}))
    head = g.to_text().splitlines()
    assert "pixels of the 1080x2400 screen, which the image shows scaled to 540x1200 (origin top-left" in head[0]
    assert head[1] == "(units: durations in ms)"
    assert SceneGraph.model_validate_json(g.model_dump_json()) == g
    assert g.state_key() == _graph(None, ("a", [0, 0, 1080, 100], {})).state_key()


def test_a_diff_counts_moved_boxes_instead_of_printing_them():
    before = _graph(None, ("a", [10, 10, 20, 10], {}), ("b", [0, 0, 5, 5], {"checked": False}))
    after = _graph(None, ("a", [12, 10, 20, 10], {}), ("b", [0, 1, 5, 5], {"checked": True}))
    text = SceneGraph.diff(before, after).to_text()
    assert text.splitlines() == ["~ b.checked: False -> True", "(2 nodes moved or resized)"]


def test_the_scene_around_a_call_keeps_the_legend():
    from agentloop.prompts.focus import around

    g = _graph(Legend(units="position in metres", pixels=SPACE), ("a", [10, 10, 20, 10], {}), ("b", [0, 0, 5, 5], {}))
    near = around(g, ["a"])
    assert near.legend == g.legend and near.to_text().splitlines()[0] == g.to_text().splitlines()[0]
