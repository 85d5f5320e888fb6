"""Which credentials a provider accepts: by default any non-empty ones (each set names a tenant);
with ``EMULATOR_CREDENTIALS`` only those listed, so a client's handling of rejected credentials
can be tested too."""

from __future__ import annotations

MAX_CREDENTIAL_LENGTH = 255


class Credentials:
    def __init__(self, accepted: dict[str, list[list[str]]]) -> None:
        self._accepted = {provider: {tuple(entry) for entry in entries} for provider, entries in accepted.items()}

    def accepts(self, provider: str, *parts: str | None) -> bool:
        present = tuple(part for part in parts if part)
        if len(present) != len(parts) or any(len(part) > MAX_CREDENTIAL_LENGTH for part in present):
            return False
        allowed = self._accepted.get(provider)
        return allowed is None or present in allowed
