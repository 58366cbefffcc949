"""Fuzzing kept in the suite: readers and routes fed mutated, generated and hostile input."""
