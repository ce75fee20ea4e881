"""Pure logic of what triggers a refresh: Git push events and matching them to apps, and beat due slots."""
