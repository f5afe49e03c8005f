"""`python -m cli` runs the staff command (as the `campaign` script does)."""

from cli.main import cli

cli()
