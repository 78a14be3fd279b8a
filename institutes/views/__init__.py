"""Pages of this app: the health check, sign-in (lockout, second factor), one's own API tokens
and a project's audit trail."""

from institutes.views.accounts import (
    locked_out,
    login,
    two_factor,
    two_factor_recovery,
    two_factor_setup,
    two_factor_verify,
)
from institutes.views.audit import project_audit
from institutes.views.health import healthz
from institutes.views.tokens import api_token_revoke, api_tokens

__all__ = [
    "api_token_revoke",
    "api_tokens",
    "healthz",
    "locked_out",
    "login",
    "project_audit",
    "two_factor",
    "two_factor_recovery",
    "two_factor_setup",
    "two_factor_verify",
]
