"""Things derived from a codebook alone (read specs, the pandera schema, dtypes), computed once
per codebook content rather than once per file or per column.

A codebook is a frozen dataclass holding dicts, so it cannot be hashed; it is keyed by its repr,
which spells out every field (what the load cache keys on too). Two codebooks with the same
content share an entry; any change of content (a codes file, an edited level) is a new key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from helpers.data.codebook import Codebook

T = TypeVar("T")
ENTRIES = 8  # codebooks remembered per function (a test session makes a few dozen variants)


def per_codebook(derive: Callable[[Codebook], T]) -> Callable[[Codebook], T]:
    """`derive(codebook)` cached by the codebook's content (least recently used dropped)."""
    cache: OrderedDict[str, T] = OrderedDict()

    @wraps(derive)
    def cached(codebook: Codebook) -> T:
        key = repr(codebook)
        value = cache.get(key)
        if value is None:
            value = cache[key] = derive(codebook)
            while len(cache) > ENTRIES:
                cache.popitem(last=False)
        else:
            cache.move_to_end(key, last=True)
        return value

    cached.cache_clear = cache.clear  # type: ignore[attr-defined]
    return cached
