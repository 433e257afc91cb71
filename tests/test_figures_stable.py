"""A figure's SVG does not depend on last-bit differences in what it plots (another CPU's SIMD
level or BLAS gives fitted values that differ in the 8th or 9th digit; the committed notebooks must
come out byte for byte all the same)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.present import figures  # noqa: E402


def _forest(noise: float):
    fig, ax = plt.subplots(figsize=(5, 2.5))
    estimates = [2.29 * (1 + noise), 6.11, 1.76 * (1 - noise), 0.22]
    ax.errorbar(estimates, range(4), xerr=[[e * 0.3 for e in estimates], [e * 0.5 for e in estimates]], fmt="o")
    ax.set_xscale("log")
    ax.axvline(1, linestyle=":")
    return fig


def _raw_svg(fig) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(figures.SVG_RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def test_last_bit_noise_leaves_the_svg_unchanged():
    a, b = _forest(0.0), _forest(3e-8)
    assert figures.svg(a) == figures.svg(b)
    # the check can fail: matplotlib's own SVG of the same two figures differs
    assert _raw_svg(a) != _raw_svg(b)
    plt.close("all")


def test_a_visible_change_still_changes_the_svg():
    a, b = _forest(0.0), _forest(1e-2)
    assert figures.svg(a) != figures.svg(b)
    plt.close("all")


def test_ids_stay_unique_and_referenced():
    import re

    text = figures.svg(_forest(0.0))
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    for ref in set(re.findall(r"#([a-z]+[0-9a-f]{10})\b", text)):
        assert ref in ids
    plt.close("all")
