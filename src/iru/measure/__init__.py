"""Measures of what the unit achieves: experiments, impact, transparency."""
