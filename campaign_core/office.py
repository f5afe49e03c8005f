"""The office key: one drill per office (1事業所1回限り), however the office is spelled.

An application claims every key it can compute, in one transaction, so a second application for the
same office collides whether or not it gives the 法人番号:

- `cn:<法人番号>:<office name>` when the corporate number is given (office name may be empty: the
  head office);
- `addr:<company>:<postal code>:<street number>` always, from the normalised company name, the postal
  code and the street number of the address.
"""

from __future__ import annotations

import hashlib

from campaign_core.normalize import company_key, digits_only, office_name_key, street_number


def _digest(raw: str) -> str:
    # Keys are stored, logged and used as DynamoDB sort keys: a fixed-length hash keeps them short,
    # ASCII and free of personal data.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def office_keys(
    *, company: str, postal_code: str, address: str, corporate_number: str = "", office: str = ""
) -> list[str]:
    """The keys an application for this office claims, most specific first."""
    keys: list[str] = []
    number = digits_only(corporate_number)
    if number:
        keys.append("cn-" + _digest(f"cn:{number}:{office_name_key(office)}"))
    # The office name is left out here: one company at one address is one office, however the
    # applicant names it.
    identity = f"addr:{company_key(company)}:{digits_only(postal_code)}:{street_number(address)}"
    keys.append("addr-" + _digest(identity))
    return keys
