"""Step 3, the analysis: descriptive statistics, the models, the robustness computations."""
