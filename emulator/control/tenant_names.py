"""Tenant names as the control plane shows them: masked where the name is itself the secret.

CM.com's tenant is its product token, the one credential a client sends: a listing that showed it
would hand anyone who reaches the control plane the keys of every tenant. Such names are shown
with all but their first and last four characters masked; a filter takes the name itself (what a
test knows) or the masked form a listing shows (what the inspector knows).
"""

from __future__ import annotations

from emulator.core.runtime import Runtime
from emulator.core.tenancy import masked_name


def _secret_providers(runtime: Runtime) -> set[str]:
    return {name for name, provider in runtime.providers.items() if provider.tenant_is_secret}


def shown(runtime: Runtime, provider: str | None, tenant: str | None) -> str | None:
    """``tenant`` as a listing shows it. A rule that names no provider is masked when a provider
    whose tenants are secret knows the name."""
    if tenant is None:
        return None
    secret = _secret_providers(runtime)
    if provider is None:
        is_secret = any(record.provider in secret and record.tenant == tenant for record in runtime.tenants.list())
    else:
        is_secret = provider in secret
    return masked_name(tenant) if is_secret else tenant


def resolved(runtime: Runtime, tenant: str | None) -> str | None:
    """A tenant filter's value: a masked form a listing showed stands for the one tenant it masks."""
    return None if tenant is None else runtime.tenants.unmask(tenant, _secret_providers(runtime))
