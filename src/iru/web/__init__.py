"""iru's HTTP side: the platforms' status callbacks (and, later, the analysts' workbench)."""
