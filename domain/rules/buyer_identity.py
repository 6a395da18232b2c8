"""How a buyer (or seller) is identified across covers, policies and top-up: its country
and registration number, trimmed and upper-cased, as one key ("ES:B12345678"). U-1 to U-3
count covers by this key, and WT/TU policies keep credits and limits by it, so there is one
builder: two that disagreed on trimming would split one buyer in two."""

from __future__ import annotations


def buyer_key(country: str, registration_number: str) -> str:
    return f"{country.strip().upper()}:{registration_number.strip().upper()}"
