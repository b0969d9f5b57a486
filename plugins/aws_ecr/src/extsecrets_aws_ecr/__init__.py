"""ECR and ECR Public authorization tokens for extsecrets (the ECRAuthorizationToken generator)."""

KIND = "ECRAuthorizationToken"
API_VERSION = "generators.external-secrets.io/v1alpha1"
