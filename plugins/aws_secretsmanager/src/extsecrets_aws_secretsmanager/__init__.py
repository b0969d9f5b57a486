"""AWS Secrets Manager provider for extsecrets
(`spec.provider.aws` with `service: SecretsManager`)."""

SERVICE = "SecretsManager"
