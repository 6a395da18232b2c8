"""One buyer key for covers (U-1 to U-3) and for WT/TU policies."""

from domain.rules.buyer_identity import buyer_key
from domain.services.buyer_credits import buyer_key_of
from domain.services.covers import company_key


def test_covers_and_policies_build_the_same_buyer_key_from_the_same_buyer():
    spellings = [(" es", " b12345678 "), ("ES ", "B12345678"), ("Es", "b12345678")]
    keys = {company_key({"country": c, "registration_number": r}) for c, r in spellings}
    keys |= {buyer_key_of(c, r) for c, r in spellings}
    assert keys == {buyer_key("ES", "B12345678")} == {"ES:B12345678"}
