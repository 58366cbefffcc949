"""The synthetic world: a calibrated social network in the platforms' real formats, with ground truth."""
