"""The sync engine: from due ExternalSecrets to Secrets (being built; see issue 3)."""
