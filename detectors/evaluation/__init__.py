"""`fleet eval`: detection quality of the detectors and the ticket domain against the simulator's ground truth."""
