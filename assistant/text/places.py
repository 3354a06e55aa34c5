"""Other usual names of a country: its capital and its long forms, from the ``countryinfo`` package.

A question about "Moscow's demands" is answered by a passage about what Russia demands, and one about
Holland by a passage on the Netherlands: the name a question uses need not be the one the documents use.
"""

from __future__ import annotations

import re
from functools import lru_cache

from countryinfo import all_countries

# A people's name ("Russian") is matched by its stem already, and one may name several countries ("American").
# Long forms in Latin letters only ("Russian Federation", not "Российская Федерация"); two- and three-letter
# codes ("RU", "UKR") are left out, since initials are matched on their own.
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z .'-]{3,}")


@lru_cache(maxsize=1)
def _groups() -> dict[str, frozenset[str]]:
    by_word: dict[str, set[str]] = {}
    for country in all_countries():
        forms: set[str] = set()
        for value in (country.name(), country.capital(), country.alt_spellings()):
            # Most fields are one string; a few countries list several capitals or demonyms.
            forms.update(value if isinstance(value, list) else [value] if isinstance(value, str) else [])
        names = {
            " ".join(form.replace("D.C.", "").split()).lower()
            for form in forms
            if form and _LATIN_NAME.fullmatch(form) and not form.isupper()
        }
        for name in names:
            if " " not in name:
                by_word.setdefault(name, set()).update(names - {name})
    return {word: frozenset(others) for word, others in by_word.items()}


def other_names(name: str) -> frozenset[str]:
    """Other names of the country that ``name`` (one word) names: {'russia', 'russian federation', ...} for
    'moscow'; empty for anything that is not a country or its capital."""
    return _groups().get(name.lower(), frozenset())
