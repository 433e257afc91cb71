"""Step 2 (synthetic data only): the generator calibrated to the published figures."""

from helpers.synth.generator import DEFAULT_SEED, generate, main, outcome_probabilities, write

__all__ = ["DEFAULT_SEED", "generate", "main", "outcome_probabilities", "write"]
