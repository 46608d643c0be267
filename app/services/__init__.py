"""Use-cases: validate (collecting every error), then write in one transaction."""
