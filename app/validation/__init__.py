"""Pure validation and normalisation of the identifiers PatentBridge stores.

Every `normalize_*` function returns the canonical spelling or raises `ValueError` with a
message fit to show the user.
"""

from app.validation.industry import (
    Industry,
    get_industry,
    load_industries,
    normalize_industry_code,
    section_of,
)
from app.validation.ipc import (
    ipc_matches_prefix,
    normalize_ipc,
    normalize_ipc_prefix,
    parse_ipc_list,
)
from app.validation.patent_number import (
    check_digit,
    normalize_patent_number,
    patent_type_from_number,
)
from app.validation.province import PROVINCES, normalize_province

__all__ = [
    "PROVINCES",
    "Industry",
    "check_digit",
    "get_industry",
    "ipc_matches_prefix",
    "load_industries",
    "normalize_industry_code",
    "normalize_ipc",
    "normalize_ipc_prefix",
    "normalize_patent_number",
    "normalize_province",
    "parse_ipc_list",
    "patent_type_from_number",
    "section_of",
]
