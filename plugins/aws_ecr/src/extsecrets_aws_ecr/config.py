"""``spec`` of an ECRAuthorizationToken (spec §1.2)."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from extsecrets.model import AdmissionContext, Problem
from extsecrets_aws_auth.config import AWSAuth, auth_problems, region_problems, role_problems

__all__ = ["ECRAuthorizationTokenSpec"]


@attrs.frozen
class ECRAuthorizationTokenSpec:
    """``scope: public`` (exactly) selects ECR Public; anything else private ECR."""

    region: str
    auth: AWSAuth = AWSAuth()
    role: str = ""
    scope: str = ""

    def admission_problems(self, context: AdmissionContext) -> Iterator[Problem]:
        yield from region_problems(self.region, context)
        yield from auth_problems(self.auth, context, generator=True)
        yield from role_problems([(("role",), self.role)], context)
        if self.scope not in ("", "public", "private"):
            yield context.problem(
                ("scope",),
                f'"{self.scope}" selects private ECR: only "public" (exactly) selects ECR Public',
                "warning",
            )
