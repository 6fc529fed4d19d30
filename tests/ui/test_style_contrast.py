"""The style sheet's colours against WCAG 2.1 AA: text 4.5:1 on its background (the
rule's own, else the window and the base colours it may sit on); the focus ring 3:1
(non-text contrast, 1.4.11)."""

from __future__ import annotations

import re

import pytest

from qi_capture.resources import resource_path

#: The light palette's window and base colours (Fusion), where a rule gives none.
WINDOW, BASE = "#EFEFEF", "#FFFFFF"
_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")


def luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules() -> list[tuple[str, dict[str, str]]]:
    sheet = resource_path("styles", "app.qss").read_text(encoding="utf-8")
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    out = []
    for selector, body in _RULE.findall(sheet):
        props = {}
        for part in body.split(";"):
            name, _, value = part.partition(":")
            if value.strip():
                props[name.strip()] = value.strip()
        out.append((" ".join(selector.split()), props))
    return out


def text_pairs() -> list[tuple[str, str, str]]:
    pairs = []
    for selector, props in rules():
        colour = _HEX.search(props.get("color", ""))
        if colour is None:
            continue
        background = _HEX.search(props.get("background", ""))
        grounds = [background.group(0)] if background else [WINDOW, BASE]
        pairs.extend((selector, colour.group(0), ground) for ground in grounds)
    return pairs


def test_the_sheet_has_coloured_text_to_check() -> None:
    assert len(text_pairs()) >= 20
    assert ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert ratio("#777777", "#FFFFFF") < 4.5  # a grey that fails is found


@pytest.mark.parametrize(("selector", "colour", "ground"), text_pairs())
def test_text_colours_meet_aa(selector: str, colour: str, ground: str) -> None:
    assert ratio(colour, ground) >= 4.5, f"{selector}: {colour} on {ground}"


def test_focus_ring_stands_out() -> None:
    rings = [_HEX.search(props["border"]) for selector, props in rules()
             if ":focus" in selector and "border" in props]
    assert rings
    for ring in rings:
        assert ring is not None
        for ground in (WINDOW, BASE):
            assert ratio(ring.group(0), ground) >= 3.0
