"""The case workflow's pure core: access, holds, triage order, audit and evidence chains,
referral packages, TCO forms, deadline clocks and sharing formats."""
