"""Readers that turn platform exports into iru records, one format per module."""
