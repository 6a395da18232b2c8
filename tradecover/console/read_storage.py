"""Document storage per partner for the charts page: stored bytes against each
partner's quota (document_quota). Live and sandbox partners are listed apart, never
summed together. Reads only."""

from __future__ import annotations

from dataclasses import dataclass

from domain.services import document_quota

#: Rows shown per mode: the partners storing the most first.
ROWS_PER_MODE = 50
_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB")


def human_bytes(size: int) -> str:
    """1536 -> "1.5 KiB": binary units, as the quota settings are written."""
    value = float(size)
    for unit in _UNITS:
        if value < 1024 or unit == _UNITS[-1]:
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class StorageRow:
    partner_id: str
    partner: str
    used: int
    quota: int

    @property
    def used_text(self) -> str:
        return human_bytes(self.used)

    @property
    def quota_text(self) -> str:
        return human_bytes(self.quota)

    @property
    def percent(self) -> int:
        return min(100, self.used * 100 // self.quota) if self.quota else 100


async def storage_by_mode() -> dict[str, list[StorageRow]]:
    """{"live": rows, "sandbox": rows}, each the partners storing the most first."""
    by_mode: dict[str, list[StorageRow]] = {"live": [], "sandbox": []}
    for usage in await document_quota.usage_by_partner():
        rows = by_mode[usage.mode]
        if len(rows) < ROWS_PER_MODE:
            rows.append(StorageRow(usage.partner_id, usage.name, usage.used, usage.quota))
    return by_mode
