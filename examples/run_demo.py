"""The whole flow on this machine, with no cloud account and no cluster (``make demo``).

1. start a local AWS emulator (moto's server, 127.0.0.1 only);
2. seed it with the secrets, parameters and ECR registry the example manifests read;
3. run ``extsecrets demo -f examples/manifests`` against it, through ESO's endpoint variables;
4. stop the emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

HERE = Path(__file__).parent
REGION = "eu-central-1"


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def start_emulator(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    url_file = folder / "url"
    process = subprocess.Popen(
        [sys.executable, "-m", "extsecrets_aws_auth.emulator", "--url-file", str(url_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not (url_file.exists() and url_file.read_text()):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the AWS emulator did not start")
        time.sleep(0.1)
    return process, url_file.read_text().strip()


def seed(url: str) -> None:
    def client(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(
            service,
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="AKIASEEDER0000000001",
            aws_secret_access_key="seeder",
        )

    sm = client("secretsmanager")
    sm.create_secret(
        Name="team-b/database",
        SecretString=json.dumps({"username": "app", "password": "old-password", "port": 5432}),
    )
    sm.put_secret_value(
        SecretId="team-b/database",
        SecretString=json.dumps({"username": "app", "password": "new-password", "port": 5432}),
    )
    sm.create_secret(Name="team-b/api-key", SecretString="k-123")
    sm.create_secret(Name="team-b/api-token", SecretString="t-456")
    sm.create_secret(
        Name="team-b/signing-key",
        SecretString="s-789",
        Tags=[{"Key": "owner", "Value": "team-b"}],
    )
    sm.create_secret(Name="team-b/feature-search-on", SecretString="true")
    sm.create_secret(Name="team-b/feature-beta-off", SecretString="false")
    ssm = client("ssm")
    ssm.put_parameter(Name="/team-b/smtp/password", Value="smtp-pass", Type="SecureString")
    ssm.put_parameter(Name="/team-b/endpoint", Value="https://v1.example", Type="String")
    ssm.put_parameter(
        Name="/team-b/endpoint", Value="https://v2.example", Type="String", Overwrite=True
    )
    client("ecr").create_repository(repositoryName="team-b/app")


def main() -> int:
    show = "--show-values" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        step("starting a local AWS emulator on 127.0.0.1")
        emulator, url = start_emulator(Path(tmp))
        try:
            step(f"seeding it with example secrets, parameters and an ECR registry ({url})")
            seed(url)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "EXTSECRETS_"))}
            env.update(
                {
                    # the endpoint variables of ESO's AWS page point every client at the emulator
                    "AWS_SECRETSMANAGER_ENDPOINT": url,
                    "AWS_SSM_ENDPOINT": url,
                    "AWS_STS_ENDPOINT": url,
                    "AWS_ECR_ENDPOINT": url,
                    # the controller's own identity (the "pod identity" of the first store)
                    "AWS_ACCESS_KEY_ID": "AKIACONTROLLER000001",
                    "AWS_SECRET_ACCESS_KEY": "controller-secret",
                    "AWS_EC2_METADATA_DISABLED": "true",
                }
            )
            step("syncing examples/manifests (extsecrets demo)")
            command = [sys.executable, "-m", "extsecrets", "demo", "-f", str(HERE / "manifests")]
            if show:
                command.append("--show-values")
            return subprocess.run(command, env=env, check=False).returncode
        finally:
            step("stopping the AWS emulator")
            emulator.terminate()
            emulator.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
