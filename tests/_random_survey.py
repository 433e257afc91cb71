"""A canonical survey frame with every codebook variable drawn at random (tests of tables and plots)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.data.codebook import load_codebook

YES_NO = pd.CategoricalDtype(["No", "Yes"])


def random_survey(n: int, seed: int) -> pd.DataFrame:
    book = load_codebook()
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(index=range(n))
    for name, variable in book.variables.items():
        if variable.type == "id":
            continue
        levels = list(variable.levels)
        frame[name] = pd.Categorical(rng.choice(levels, size=n), categories=levels, ordered=variable.ordered)
    for derived in book.derived.values():
        frame[derived.name] = pd.Categorical(
            np.where(frame[derived.source].isin(derived.events), "Yes", "No"), dtype=YES_NO
        )
    return frame
