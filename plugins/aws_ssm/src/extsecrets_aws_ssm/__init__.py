"""AWS SSM Parameter Store provider for extsecrets
(`spec.provider.aws` with `service: ParameterStore`)."""

SERVICE = "ParameterStore"
