"""Step 1, the data: codebook, readers, checks, codes files and `load_survey` (one canonical frame)."""

from helpers.data.load import file_sha256, load_survey, source_of
from helpers.data.names import canonical_name

__all__ = ["canonical_name", "file_sha256", "load_survey", "source_of"]
