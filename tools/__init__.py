"""Development tools: checks run by `make test`, not shipped with the package."""
