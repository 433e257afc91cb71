"""Step 5, the review of the reproduction: scorecard, audits, 2023 comparison, assumptions, specification grid, robustness chapter."""
