"""The operator as a model of ESO's call pattern, for W3's ESO column (see bench/README.md).

Our own operator with what makes ESO's pattern: one ExternalSecret a cycle (ESO's
``--concurrent`` defaults to 1), no credential cache (a new credential chain per reconcile) and
the AWS plugins reading one GetSecretValue per key. Not a command users get: it exists for the
benchmark only.

    python bench/eso_model_operator.py KUBECONFIG NAMESPACE
"""

from __future__ import annotations

import os
import sys

from extsecrets.operator.run import Operator, Options
from extsecrets.plugins import PluginHost
from extsecrets.sync.credentials import NoCredentialCache
from extsecrets_aws_auth.reads import ESO_CALL_PATTERN_ENV


def main(kubeconfig: str, namespace: str) -> None:
    os.environ[ESO_CALL_PATTERN_ENV] = "1"
    host = PluginHost.load(strict=True)
    options = Options(
        kubeconfig=kubeconfig,
        namespace=namespace,
        concurrency=1,
        batch_size=1,
        metrics_addr="0",
        health_addr="0",
    )
    operator = Operator(host, options)
    operator.engine.credentials = NoCredentialCache()
    operator.install_signal_handlers()
    operator.run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
