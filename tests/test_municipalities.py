from __future__ import annotations

import pytest

from spstotte.municipalities import (
    MUNICIPALITY_NAMES,
    MunicipalityLookupError,
    fold_name,
    municipality_code,
)


def test_there_are_98_municipalities_and_christianso_is_not_one() -> None:
    assert len(MUNICIPALITY_NAMES) == 98
    assert 411 not in MUNICIPALITY_NAMES
    with pytest.raises(MunicipalityLookupError, match="Christiansø"):
        municipality_code(411)


@pytest.mark.parametrize(("given", "code"), [
    (265, 265), ("265", 265), ("0265", 265), ("Roskilde", 265), ("roskilde kommune", 265),
    ("Sønderborg", 540), ("Soenderborg", 540), ("sonderborg", 540), ("VEJLE", 630),
    ("Hoeje-Taastrup", 169), ("københavns kommune", 101),
    ("Høje-Taastrup", 169), ("Aarhus", 751), ("Århus", 751), ("Vesthimmerland", 820),
])
def test_codes_and_names_are_normalised(given: object, code: int) -> None:
    assert municipality_code(given) == code


@pytest.mark.parametrize("given", [999, "Atlantis", True, 3.5, None, "12a"])
def test_unknown_municipalities_are_rejected_with_a_hint(given: object) -> None:
    with pytest.raises(MunicipalityLookupError) as info:
        municipality_code(given)
    assert info.value.hint


def test_folded_names_are_unique() -> None:
    folded = [fold_name(name) for name in MUNICIPALITY_NAMES.values()]
    assert len(set(folded)) == len(folded)
