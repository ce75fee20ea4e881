"""The `bosun` command line: process launchers (server, worker, beat, flower) and the API client."""
