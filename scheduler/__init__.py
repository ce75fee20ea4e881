"""Everything that decides when work happens: beat, Git webhooks and the REST API."""
