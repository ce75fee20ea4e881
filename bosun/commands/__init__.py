"""Subcommands of `bosun`: process launchers (processes, flower) and the app commands (apps, app_ops)."""
