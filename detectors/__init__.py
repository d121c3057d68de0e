"""Detectors: one pure object per fault code (readings in, findings out), the runner that feeds them stored
readings, and `fleet eval`, which measures them against the simulator's ground truth."""
