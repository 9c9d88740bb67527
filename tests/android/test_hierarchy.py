import pytest

from agentloop.envs.android import hierarchy

XML = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation="0">
<node index="0" text="" resource-id="" class="android.widget.FrameLayout" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" bounds="[0,0][1080,2400]">
 <node index="0" text="" resource-id="" class="androidx.recyclerview.widget.RecyclerView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="true" focused="false" scrollable="true" bounds="[0,200][1080,2400]">
  <node index="0" text="Wi‑Fi" resource-id="android:id/title" class="android.widget.TextView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" bounds="[40,220][600,300]" />
  <node index="1" text="" resource-id="android:id/switch_widget" class="android.widget.Switch" package="p" content-desc="" checkable="true" checked="true" clickable="true" enabled="false" focusable="true" focused="false" scrollable="false" bounds="[900,220][1040,300]" />
  <node index="2" text="Bluetooth" resource-id="android:id/title" class="android.widget.TextView" package="p" content-desc="" checkable="false" checked="false" clickable="false" enabled="true" focusable="false" focused="false" scrollable="false" bounds="[40,320][600,400]" />
 </node>
</node></hierarchy>"""


def test_parse_elements_attributes_and_relations():
    g = hierarchy.parse(XML)
    kinds = [n.kind for n in g.nodes]
    assert kinds == ["recyclerview", "textview", "switch", "textview"]  # the bare FrameLayout is dropped
    sw = g.node("2")
    assert sw.attrs["checked"] is True and sw.attrs["checkable"] is True and sw.attrs["enabled"] is False
    assert sw.attrs["bbox"] == [900, 220, 140, 80]  # [x, y, w, h] from uiautomator's corners
    assert g.node("0").attrs["scrollable"] is True
    assert g.has("1", "child_of", "0") and g.has("2", "child_of", "0")
    assert g.has("1", "left_of", "2") and g.has("1", "above", "3")
    assert hierarchy.center(sw) == (970, 260)
    text = hierarchy.to_text(g)
    assert "[2] switch id=switch_widget clickable checkable checked disabled" in text


def test_bounds_become_pixel_boxes():
    assert hierarchy.parse_bounds("[0,200][1080,2400]") == [0, 200, 1080, 2200]
    assert hierarchy.parse_bounds("[50,10][40,5]") == [50, 10, 0, 0]  # inverted corners cover nothing
    with pytest.raises(hierarchy.HierarchyError, match="bad bounds"):
        hierarchy.parse_bounds("[0,0]")


def test_bad_xml_is_a_clear_error():
    with pytest.raises(hierarchy.HierarchyError, match="not valid XML"):
        hierarchy.parse("<hierarchy><node")


def test_a_node_carries_only_what_differs_from_its_kinds_defaults():
    g = hierarchy.parse(XML)
    recycler, title, switch, _ = g.nodes
    # The app in front is said once; a stock widget's class is its kind; a third-party one's is kept.
    assert recycler.attrs == {"bbox": [0, 200, 1080, 2200], "class": "androidx.recyclerview.widget.RecyclerView",
                              "package": "p", "scrollable": True}
    assert title.attrs == {"bbox": [40, 220, 560, 80], "resource_id": "android:id/title"}  # its text is its name
    assert (switch.get("enabled"), switch.get("checked"), switch.get("focused", False)) == (False, True, False)
    for n in g.nodes:
        assert not [k for k, v in n.attrs.items() if k != "bbox" and hierarchy.DEFAULTS.get(k) == v
                    and not (k == "checked" and n.get("checkable"))], n
    off = hierarchy.parse(XML.replace('checked="true"', 'checked="false"')).node("2")
    assert off.attrs["checked"] is False  # a checkable node says it is off
