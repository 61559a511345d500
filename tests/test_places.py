import pycountry
import pytest

from tests.conftest import corpus
from wiresearch import places


@pytest.mark.parametrize("text, code", [
    ("usa", "US"), ("uk", "GB"), ("Britain", "GB"), ("west-germany", "DE"),
    ("east-germany", "DDDE"), ("ussr", "SUHH"), ("Soviet Union", "SUHH"), ("USSR", "SUHH"),
    ("Russia", "RU"), ("yugoslavia", "YUCS"), ("czechoslovakia", "CSHH"),
    ("hong-kong", "HK"), ("ivory-coast", "CI"), ("burma", "MM"), ("GBR", "GB"),
    ("United States", "US"), ("Côte d'Ivoire", "CI"), ("Korea, Republic of", "KR"),
    ("Republic of Korea", "KR"),
    # Names as people and agencies write them: with "the", "St", or the label we show.
    ("Democratic Republic of the Congo", "CD"), ("DR Congo", "CD"), ("Bosnia", "BA"),
    ("The Netherlands", "NL"), ("the Philippines", "PH"), ("St Lucia", "LC"),
    ("St. Kitts and Nevis", "KN"), ("Republic of Ireland", "IE"), ("Congo", "CG"),
])
def test_country_codes_from_wire_spellings_names_and_codes(text, code):
    assert places.country_code(text) == code


@pytest.mark.parametrize("text", ["", "Narnia", "european community", "---", "the",
                                  "The Hague"])
def test_non_countries_have_no_code(text):
    assert places.country_code(text) is None


def test_every_reuters_place_maps_to_a_country():
    listed = corpus("reuters21578", "all-places-strings.lc.txt").read_text().split()
    unmapped = [place for place in listed if places.country_code(place) is None]
    assert unmapped == []


def test_every_iso_country_but_antarctica_has_one_m49_region():
    missing = [c.alpha_2 for c in pycountry.countries
               if places.region_of(c.alpha_2) is None and c.alpha_2 != "AQ"]
    assert missing == []
    assert places.region_of("AQ") is None


@pytest.mark.parametrize("codes, regions", [
    (("US", "RU"), ("Americas", "Europe")),
    (("SUHH",), ("Europe",)),
    (("JP", "AU", "EG"), ("Africa", "Asia", "Oceania")),
])
def test_regions_come_from_un_m49(codes, regions):
    assert places.regions_of(codes) == regions


def test_every_label_shown_is_a_name_that_finds_its_country():
    for code in places.LABELS:
        assert places.country_code(places.country_label(code)) == code


def test_labels_read_like_names():
    assert places.country_label("US") == "United States"
    assert places.country_label("SUHH") == "Soviet Union"
    assert places.country_label("BO") == "Bolivia"


def test_region_names_are_matched_without_case():
    assert places.region_name("europe") == "Europe"
    assert places.region_name("Middle Earth") is None
