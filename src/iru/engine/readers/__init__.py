"""Read models over the storage readers: what the CLI and the workbench both show."""
