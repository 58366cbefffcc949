"""The simulation lab: closed-loop experiments over simulated worlds (imports ``iru.sim``)."""
