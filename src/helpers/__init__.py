"""Helpers for the link-worker outcome-monitoring report: each module has one job.

load/validate: codebook, data, validate · compute: describe, models, brant, scorecard, audit,
robustness · format: tables, prose · plot: plots · build: execute, render · synth: the
calibrated synthetic-data generator.
"""
