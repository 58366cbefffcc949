"""iru's HTTP side: the analysts' workbench (pages and JSON API) and the platforms'
status callbacks."""
