"""Readers for the wire formats agencies deliver: NITF, NewsML-G2, NewsML 1, ninjs, ANPA
1312, HTML article pages and JSON exports, checked on real agency samples and on small
fixtures, through normalization to the Article a search would return."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiresearch.formats import anpa, detect, jsonl, ninjs, read_source
from wiresearch.formats.base import SourceFile
from wiresearch.model import Article, RawRecord, Rejection
from wiresearch.normalize import normalize

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
WIRE = CORPORA / "wire-formats"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
UTC = dt.timezone.utc


def sample(relative: str) -> Path:
    path = WIRE / relative
    if not path.exists():
        pytest.skip(f"shared wire-format samples not found at {path} "
                    "(the ../shared/corpora folder next to the repository)")
    return path


def read(path: Path | str, data: bytes | None = None, **options
         ) -> tuple[list[Article], list[Rejection]]:
    source = SourceFile(str(path), Path(path).read_bytes() if data is None else data, **options)
    articles, rejections = [], []
    for item in read_source(source):
        if isinstance(item, Rejection):
            rejections.append(item)
        else:
            articles.append(normalize(item).article)
    return articles, rejections


def only(path: Path, reader: str) -> Article:
    """The one article of a sample, after checking which reader detection chose."""
    source = SourceFile(str(path), path.read_bytes())
    assert detect(source).name == reader
    articles, rejections = read(path)
    assert rejections == []
    assert len(articles) == 1
    article = articles[0]
    assert "<" not in article.body and "<" not in article.headline
    return article


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


# --- NITF ------------------------------------------------------------------------------

def test_nitf_aap():
    article = only(sample("nitf/aap.xml"), "nitf")
    assert article.id == "aap:AAP.115314987.5417374"
    assert article.source == "AAP"
    assert article.headline == "The main stories on today's 1900 ABC TV news"
    # date.issue norm="20131020T192751+1100"
    assert article.date == at(2013, 10, 20, 8, 27, 51)
    assert article.dateline == "Sydney"
    assert article.byline == "By John Doe"
    assert "fire situation is likely to get worse" in article.body
    assert "40th anniversary of the Sydney Opera House" in article.body
    assert {"justice", "police", "02003001", "02003002"} <= set(article.topics)
    assert article.countries == ()


def test_nitf_ap_without_doc_id_uses_file_name():
    article = only(sample("nitf/ap-nitf.xml"), "nitf")
    assert article.id == "ap:ap-nitf"
    assert article.source == "AP"
    assert article.headline == "Can trading pollution like stocks help fight climate change?"
    assert article.date == at(2015, 12, 10, 19, 10, 44)
    assert article.dateline == "NEW YORK"
    # The byline's title (byttl) is not part of the author's name.
    assert article.byline == "By BERNARD CONDON"
    assert article.body.startswith("NEW YORK (AP) — The gas produced by hog manure")
    assert "cap-and-trade" in article.body
    assert len(article.body.split("\n\n")) > 20


def test_line_breaks_are_read_alike_in_every_kind_of_markup():
    # One <br> wraps a line inside its paragraph; two in a row separate paragraphs.
    from bs4 import BeautifulSoup

    from wiresearch.formats import markup
    from wiresearch.normalize import clean_body

    html = "<p>One line<br/>wrapped.<br/> <br/>Second.</p>"
    expected = ["One line wrapped.", "Second."]
    nitf = (f"<nitf><body><body.head><hedline><hl1>H</hl1></hedline></body.head>"
            f"<body.content>{html}</body.content></body></nitf>").encode()
    (article,), _ = read("br.xml", nitf)
    assert article.body.split("\n\n") == expected
    soup = BeautifulSoup(f"<div>{html}</div>", "html.parser")
    assert markup.soup_paragraphs(soup.div) == expected
    assert clean_body(html, markup=True).split("\n\n") == expected


def test_datelines_leave_out_the_agency_credit():
    nitf = (b'<nitf><body><body.head><hedline><hl1>Markets</hl1></hedline><dateline>'
            b'<location>NEW YORK</location> (AP) _</dateline></body.head><body.content>'
            b'<p>Shares rose.</p></body.content></body></nitf>')
    g2 = (b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:x:1">'
          b'<contentMeta><headline>Markets</headline><dateline>ROME, Oct 11 (ANSA) -'
          b'</dateline></contentMeta><contentSet><inlineData contenttype="text/plain">'
          b'Shares rose.</inlineData></contentSet></newsItem>')
    for name, data, place in (("nitf.xml", nitf, "NEW YORK"), ("g2.xml", g2, "ROME")):
        (article,), _ = read(name, data)
        assert article.dateline == place


def test_a_nitf_document_with_a_warning_is_still_the_first():
    data = (b'<nitf><body><body.head><hedline><hl1>Caf&foo; news</hl1></hedline>'
            b'</body.head><body.content><p>Text.</p></body.content></body></nitf>')
    (article,), rejections = read("one.xml", data)
    assert [r.severity for r in rejections] == ["warning"]
    assert article.position == ""


def test_nitf_efe():
    article = only(sample("nitf/efe_nitf.xml"), "nitf")
    assert article.id == "efe:22751909"
    assert article.source == "EFE"
    assert article.headline == "Honduran president announces Cabinet changes"
    assert article.date == at(2017, 1, 2, 22, 28)
    # evloc iso-cc="HND": an alpha-3 code.
    assert article.countries == ("HN",)
    assert article.regions == ("Americas",)
    assert {"politics", "government", "11006005", "honduras government"} <= set(article.topics)
    assert "Test body." in article.body
    # The dateline holds only the filing time, which is not a place.
    assert article.dateline == ""


def test_nitf_ntb_latin1_with_escaped_embeds():
    article = only(sample("nitf/nitf-ntb.xml"), "nitf")
    assert article.id == "ntb:faktisk-d9cde75b-256e-4989-b6a3-b8ad27f43a5c_47"
    assert article.source == "NTB"
    assert article.headline.startswith("Faktisk.no: Nei, dette dokumentet beskriver ikke FNs")
    # date.issue norm="2020-09-07T14:45:26" has no zone: read as UTC.
    assert article.date == at(2020, 9, 7, 14, 45, 26)
    assert article.dateline == "Oslo"
    assert "Professor Asbjørn Dyrendal ved NTNU" in article.body  # ISO-8859-1 decoded
    # Embed codes (escaped HTML in the text) are not story text.
    assert "faktisk-embed" not in article.body and "script" not in article.body


def efe_with_body(body: str) -> str:
    """The EFE sample (UTF-8, no XML declaration) with `body` for its "Test body."."""
    text = sample("nitf/efe_nitf.xml").read_text("utf-8")
    assert "Test body." in text and not text.lstrip().startswith("<?xml")
    return text.replace("Test body.", body)


def test_xml_declared_latin1_is_read_as_windows_1252():
    # The commonest mislabel: curly quotes, dashes and the euro sign are Windows-1252
    # bytes that Latin-1 reads as control characters.
    body = "Dijo: \u201cEs hist\u00f3rico\u201d \u2014 cuesta \u20ac5."
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n' + efe_with_body(body)
            ).encode("cp1252")
    (article,), rejections = read("efe.xml", data)
    assert rejections == []
    assert body in article.body



@pytest.mark.parametrize("label", ["US-ASCII", "ISO-8859-1"])
def test_xml_labelled_ascii_or_latin1_that_is_utf8_is_read_as_utf8(label):
    body = "Caf\u00e9 prices in Z\u00fcrich rose \u2013 \u20ac5."
    data = (f'<?xml version="1.0" encoding="{label}"?>\n' + efe_with_body(body)).encode()
    (article,), rejections = read("efe.xml", data)
    assert rejections == []
    assert body in article.body


def test_xml_in_an_unknown_declared_encoding_is_read_with_a_warning():
    data = ('<?xml version="1.0" encoding="x-foo"?>\n' + efe_with_body("Z\u00fcrich.")).encode()
    (article,), rejections = read("efe.xml", data)
    assert [(r.severity, r.reason) for r in rejections] == [
        ("warning", "not valid x-foo; decoded as utf-8")]
    assert "Z\u00fcrich." in article.body


def test_an_undefined_entity_is_kept_as_text_with_a_warning():
    (article,), rejections = read("efe.xml", efe_with_body("Tax &foo; rose.").encode())
    assert [(r.severity, r.reason) for r in rejections] == [
        ("warning", "undefined entities kept as text: &foo;")]
    assert "Tax &foo; rose." in article.body
    # Where entities are not markup, or the document declares them, they are left alone.
    for body in ("<![CDATA[Tax &foo; rose.]]>", "Tax rose.<!-- &foo; -->"):
        (article,), rejections = read("efe.xml", efe_with_body(body).encode())
        assert rejections == [] and "Tax " in article.body and "&amp;" not in article.body
    declared = efe_with_body("Tax &foo; rose.").replace(
        "<nitf", '<!DOCTYPE nitf [<!ENTITY foo "bar">]>\n<nitf', 1)
    (article,), rejections = read("efe.xml", declared.encode())
    assert rejections == []


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_html_entities_are_read_in_xml_with_a_byte_order_mark(encoding):
    text = efe_with_body("Caf&eacute;&nbsp;prices rose.")
    (article,), rejections = read("efe.xml", text.encode(encoding))
    assert rejections == []
    assert "Café prices rose." in article.body


# --- NewsML-G2 ---------------------------------------------------------------------------

def test_newsml_g2_iptc_example():
    article = only(sample("newsml-g2/LISTING 1 A NewsML-G2 News Item.xml"), "newsml-g2")
    assert article.id == "reuters:urn:newsml:acmenews.com:20161018:US-FINANCE-FED"
    assert article.source == "Reuters"  # itemMeta/provider qcode="nprov:REUTERS"
    assert article.headline == 'Fed to halt QE to avert "bubble"'
    # contentCreated 2016-10-18T11:12:00-05:00
    assert article.date == at(2016, 10, 18, 16, 12)
    assert article.countries == ("DE",)  # located -> broader iso3166-1a2:DE
    assert article.regions == ("Europe",)
    assert article.dateline == "Berlin"
    assert article.byline == "Meredith Jameson"
    assert {"medtop:04000000", "economy, business and finance", "medtop:20000523",
            "labour market"} <= set(article.topics)
    assert "arbeitsmarkt" not in article.topics  # the item is en-GB
    assert article.body == ""  # the example's inlineXML holds comments only


def test_newsml_g2_ansa_message_with_markup_in_plain_text():
    article = only(sample("newsml-g2/ansa-newsmlg2-text.xml"), "newsml-g2")
    assert article.id == "ansa:tag:ansa.it,2017-10-11:40e5fb1034e7e2b21942ea09718fc85a"
    assert article.source == "ANSA"
    assert article.headline == "Catalan independence declaration unacceptable - Alfano"
    assert article.date == at(2017, 10, 11, 9, 41)
    assert article.dateline == "Rome"
    assert article.body.startswith("(ANSA) - Rome, October 11 - Italian Foreign Minister")
    assert "Carles Puigdemont signed a declaration" in article.body
    assert len(article.body.split("\n\n")) == 4
    # The sub-category literal repeats the headline: not a topic.
    assert article.topics == ("alr",)


def test_newsml_g2_reuters_file_without_extension():
    article = only(sample("newsml-g2/tag_reuters.com,2018_newsml_MTZXEE13ZXCZES_2"), "newsml-g2")
    assert article.id == "reuters:tag:reuters.com,2018:newsml_MTZXEE13ZXCZES"
    assert article.source == "Reuters"
    assert article.headline == "UPDATE 2-Primeira Liga Results"
    assert article.date == at(2018, 1, 3, 20, 13, 8)
    assert "Vitória Setúbal v Estoril" in article.body  # XHTML body, entities decoded
    assert {"soccer", "sport", "subj:15054000"} <= set(article.topics)
    assert article.dateline == ""  # its dateline element is a time stamp


# --- NewsML 1 ----------------------------------------------------------------------------

def test_newsml1_afp():
    article = only(sample("newsml-1/afp.xml"), "newsml-1")
    assert article.id == "afp:20140829T135002Z:TX-PAR-FXW86"
    assert article.source == "AFP"
    assert article.headline == "Sweden court accepts receivership for Saab carmaker"
    assert article.date == at(2014, 8, 29, 13, 49, 51)  # FirstCreated
    assert article.dateline == "STOCKHOLM"
    assert article.countries == ("SE",)  # Location Country "SWE"
    assert {"04000000", "04011000", "bankruptcy", "saab"} <= set(article.topics)
    assert "placed in receivership" in article.body
    assert len(article.body.split("\n\n")) == 10


# --- ninjs -------------------------------------------------------------------------------

def test_ninjs_envelope_with_item_list():
    article = only(sample("ninjs/bbc-ninjs-text-test.json"), "ninjs")
    assert article.id == "ninjs:https://www.example.com//12345"
    assert article.headline == "advisory"
    assert article.body == "body"  # body_html "<p><strong>body</strong></p>"
    assert article.date == at(2018, 5, 28, 16, 40, 8)
    assert article.byline == "John Doe"
    assert set(article.topics) == {"planning permission", "category:planning-permission"}


def test_ninjs_aap():
    article = only(sample("ninjs/ninjs1.json"), "ninjs")
    assert article.id.startswith("aap:urn:newsml:localhost:2017-08-24T14:37:19.783611:")
    assert article.source == "AAP"
    assert article.headline == "headline"
    assert article.body == "The story so far."
    assert article.date == at(2017, 8, 24, 4, 37, 19)  # firstcreated
    assert article.topics == ("arts, culture and entertainment", "01000000")
    assert article.countries == ()  # "NSW" is a state


def test_ninjs_reuters_story_via_aap():
    article = only(sample("ninjs/ninjs2.json"), "ninjs")
    assert article.id == "reuters:tag:localhost:2017:7ca07622-3b19-4d61-8daf-18500412d46b"
    assert article.source == "Reuters"
    assert article.headline == "Oil prices edge up on first drop in US drilling in months"
    # First created on Monday 3 July, which is the "Monday" of the story.
    assert article.date == at(2017, 7, 3, 1, 38, 13)
    assert article.countries == ("US",)
    assert article.dateline == "Singapore"
    assert "Brent crude futures added 6 cents" in article.body
    assert len(article.body.split("\n\n")) == 9
    assert "oil and gas - upstream activities" in article.topics


def test_ninjs_in_utf16_with_its_mark_is_still_ninjs():
    path = sample("ninjs/ninjs2.json")
    data = path.read_text(encoding="utf-8").encode("utf-16")
    assert detect(SourceFile(path.name, data)).name == "ninjs"
    (article,), _ = read(path.name, data)
    assert article.headline == "Oil prices edge up on first drop in US drilling in months"


def test_ninjs_2_byline_is_the_by_text():
    item = {"uri": "urn:dpa:1", "type": "text", "headlines": [{"value": "Saab files"}],
            "bodies": [{"role": "main", "value": "Saab filed for bankruptcy."}],
            "by": "Von Christian Hollmann, dpa"}
    (article,), _ = read("dpa.json", json.dumps(item).encode())
    assert article.byline == "Von Christian Hollmann, dpa"


# --- ANPA 1312 ---------------------------------------------------------------------------

def test_anpa_feature():
    article = only(sample("anpa/anpa-1.tst"), "anpa")
    assert article.id == "ap:20131113-W2870"
    assert article.source == "AP"
    assert article.headline == "For Argentine chemo patients, mirrors can hurt"
    assert article.date == at(2013, 11, 13, 15, 9)  # trailer AP-WF-11-13-13 1509GMT
    assert article.dateline == "BUENOS AIRES, Argentina"
    assert article.countries == ("AR",)
    assert article.byline == "By PAUL BYRNE and ALMUDENA CALATRAVA"
    assert article.topics == ("lt",)
    assert article.body.startswith("BUENOS AIRES, Argentina (AP) — For cancer patients")
    assert '"Look Good Feel Better" is a program' in article.body
    assert "AP Photo" not in article.body and "Eds:" not in article.body
    assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in article.body)


def test_anpa_sports_story_crlf():
    article = only(sample("anpa/ap_anpa-1.tst"), "anpa")
    assert article.id == "ap:20160220-z6715"
    assert article.headline == "Deng has 30 points, short-handed Heat beat Hawks 115-111"
    assert article.date == at(2016, 2, 20, 3, 37)
    assert article.dateline == "ATLANTA"
    assert article.countries == ()
    assert article.byline == "By CHARLES ODUM"
    assert article.topics == ("bkn",)
    assert "Jeff Teague led Atlanta with 23 points" in article.body
    assert "\r" not in article.body


def test_anpa_agate_table():
    article = only(sample("anpa/ap_anpa-2.tst"), "anpa")
    assert article.id == "ap:20160517-z9631"
    assert article.headline == "Baseball Expanded Standings"
    assert article.date == at(2016, 5, 17, 6, 20)
    assert article.topics == ("bbo",)
    # Space bands and column separators become spaces, "{" is one half.
    assert "Tampa Bay 17 19 .472 6 3½ 5-5 W-1 10-11 7-8" in article.body
    assert "Boston (Porcello 6-1) at Kansas City (Ventura 3-2), 8:15 p.m." in article.body


def test_anpa_several_messages_in_one_capture():
    data = sample("anpa/anpa-1.tst").read_bytes() + sample("anpa/ap_anpa-1.tst").read_bytes()
    articles, rejections = read("capture.anpa", data)
    assert rejections == []
    assert [a.id for a in articles] == ["ap:20131113-W2870", "ap:20160220-z6715"]
    assert [a.position for a in articles] == ["message 1", "message 2"]


# --- HTML article pages ------------------------------------------------------------------

def test_html_article_page():
    path = FIXTURES / "html" / "harbour-strike.html"
    assert detect(SourceFile(str(path), path.read_bytes())).name == "html"
    (article,), rejections = read(path)
    assert rejections == []
    assert article.id == ("reuters:https://www.reuters.com/world/europe/"
                          "dockers-strike-shuts-rotterdam-harbour-2021-03-04/")
    assert article.source == "Reuters"
    assert article.headline == "Dockers strike shuts Rotterdam harbour"
    assert article.date == at(2021, 3, 4, 8, 15)  # article:published_time, +01:00
    assert article.byline == "Bart Meijer"
    assert article.countries == ("NL",)  # JSON-LD contentLocation addressCountry
    assert set(article.topics) == {"europe", "labour"}
    paragraphs = article.body.split("\n\n")
    assert paragraphs[0].startswith("ROTTERDAM, March 4 (Reuters) - Dock workers")
    assert len(paragraphs) == 3
    for clutter in ("Advertisement", "Share", "Related", "Sign up", "Privacy", "Home",
                    "trackPageView", "REUTERS/Piroschka", "March 4, 2021"):
        assert clutter not in article.body


def test_html_declared_latin1_page_without_article_element():
    path = FIXTURES / "html" / "latin1-page.html"
    (article,), rejections = read(path)
    assert rejections == []
    assert article.headline == "Cafés de Colombia suben"
    assert article.date == dt.date(1998, 6, 12)  # <time datetime="1998-06-12">
    assert article.id == "html:latin1-page"
    assert article.body.startswith("BOGOTÁ (EFE).- Los precios del café")
    assert "Portada" not in article.body and "Agencia EFE 1998" not in article.body


def test_html_undeclared_encoding_is_guessed_with_a_warning():
    page = ("<!DOCTYPE html><html><head><title>Crónica</title></head><body><article>"
            "<h1>Año récord para el café</h1><p>La producción de café creció en "
            "Colombia y Perú según la federación de cafeteros.</p></article></body></html>")
    articles, rejections = read("cafe.html", page.encode("cp1252"))
    assert [r.severity for r in rejections] == ["warning"]
    assert "detected" in rejections[0].reason
    assert articles[0].headline == "Año récord para el café"
    assert "Perú" in articles[0].body


def test_html_page_without_article_is_rejected():
    page = b"<!DOCTYPE html><html><head></head><body><nav>Home</nav></body></html>"
    articles, rejections = read("empty.html", page)
    assert articles == []
    assert "no article" in rejections[0].reason


# --- JSON and JSON Lines -----------------------------------------------------------------

def test_json_lines_default_keys_and_broken_line():
    lines = [
        {"id": "x1", "title": "Cocoa prices rise", "text": "Cocoa rose in Accra.",
         "published": "2019-05-02T10:00:00Z", "countries": ["GH"], "tags": ["Cocoa"],
         "source": "Reuters"},
        "{this is not json",
        {"id": "x2", "title": "Gold falls", "content": "<p>Gold fell.</p><p>Silver too.</p>",
         "date": 1556791200},
    ]
    data = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    assert detect(SourceFile("export.jsonl", data.encode())).name == "json"
    articles, rejections = read("export.jsonl", data.encode())
    assert [a.id for a in articles] == ["reuters:x1", "json:x2"]
    first, second = articles
    assert first.source == "Reuters" and first.countries == ("GH",)
    assert first.topics == ("cocoa",) and first.date == at(2019, 5, 2, 10)
    assert second.body == "Gold fell.\n\nSilver too."  # HTML in content is stripped
    assert second.date == at(2019, 5, 2, 10)  # a Unix time
    assert [(r.position, r.severity) for r in rejections] == [("line 2", "error")]
    assert "broken JSON line" in rejections[0].reason


def test_json_lines_hold_unicode_line_separators_inside_strings():
    # json.dumps(ensure_ascii=False) writes U+2028, U+2029 and U+0085 as they are.
    stories = [{"id": str(number), "title": f"Story {number}",
                "text": f"Line one{separator}line two"}
               for number, separator in enumerate(["\u2028", "\u2029", "\x85", " "])]
    data = "\n".join(json.dumps(story, ensure_ascii=False) for story in stories).encode()
    articles, rejections = read("export.jsonl", data)
    assert rejections == []
    assert [a.id for a in articles] == ["json:0", "json:1", "json:2", "json:3"]
    assert [a.position for a in articles] == ["line 1", "line 2", "line 3", "line 4"]


def test_json_lines_whose_first_lines_are_broken_keep_the_rest():
    good = [json.dumps({"id": f"g{number}", "title": "Gold", "text": "Gold fell."})
            for number in range(3)]
    data = "\n".join(['{"id": "b1", "headline": "broken', '{"id": "b2", headline: 1}',
                      *good]).encode()
    articles, rejections = read("export.jsonl", data)
    assert [a.id for a in articles] == ["json:g0", "json:g1", "json:g2"]
    assert [r.position for r in rejections] == ["line 1", "line 2"]


@pytest.mark.parametrize("body", ["<p>He came.</p>", "He came."])
def test_json_headlines_written_as_html_text_are_read_as_text(body):
    record = {"id": 7, "title": {"rendered": "Trump&#8217;s visit &amp; AT&T"},
              "content": body}
    (article,), _ = read("posts.json", json.dumps([record]).encode(),
                         field_map={"headline": "title.rendered"})
    assert article.headline == "Trump\u2019s visit & AT&T"


def test_a_json_feed_with_a_title_of_its_own_gives_its_items():
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Example Wire feed",
            "items": [{"id": "1", "title": "Gold falls", "content_text": "Gold fell."},
                      {"id": "2", "title": "Oil rises", "content_text": "Oil rose."}]}
    articles, rejections = read("feed.json", json.dumps(feed).encode())
    assert [(a.headline, a.body) for a in articles] == [("Gold falls", "Gold fell."),
                                                        ("Oil rises", "Oil rose.")]
    assert rejections == []


def test_a_story_with_a_list_of_items_is_still_a_story():
    story = {"id": "s1", "headline": "Markets", "summary": "Shares rose.",
             "items": [{"url": "https://a.example"}, {"url": "https://b.example"}]}
    (article,), rejections = read("story.json", json.dumps(story).encode())
    assert (article.headline, article.body, rejections) == ("Markets", "Shares rose.", [])


def test_json_array_with_field_map_and_nested_keys():
    records = [{"hed": "Floods in Dhaka", "story": {"text": "Rain fell for days."},
                "when": "2020-07-14", "where": "Bangladesh", "ref": 17}]
    field_map = {"headline": "hed", "body": "story.text", "date": "when", "places": "where",
                 "id": "ref"}
    articles, rejections = read("feed.json", json.dumps(records).encode(),
                                field_map=field_map, source="Daily Star")
    assert rejections == []
    (article,) = articles
    assert article.id == "json:17"
    assert article.source == "Daily Star"
    assert (article.headline, article.body) == ("Floods in Dhaka", "Rain fell for days.")
    assert article.date == dt.date(2020, 7, 14)
    assert article.countries == ("BD",)


def test_json_mapping_that_finds_nothing_says_so():
    data = json.dumps([{"a": 1}, {"b": 2}]).encode()
    articles, rejections = read("odd.json", data, field_map={"headline": "hed"})
    assert articles == []
    assert [r.position for r in rejections] == ["item 1", "item 2"]
    assert "hed" in rejections[0].reason


def test_json_truncated_array_keeps_the_complete_records():
    data = b'[{"title": "One", "text": "a"},\n {"title": "Two", "text": "b"},\n {"title": "Th'
    articles, rejections = read("cut.json", data)
    assert [a.headline for a in articles] == ["One", "Two"]
    assert len(rejections) == 1 and rejections[0].position.startswith("line 3")


def test_json_record_without_id_uses_file_and_line():
    data = b'{"title": "A", "body": "x"}\n{"title": "B", "body": "y"}\n'
    articles, _ = read("/archive/2019/day.jsonl", data)
    assert [a.id for a in articles] == ["json:day/1", "json:day/2"]


def test_ninjs_and_generic_json_do_not_take_each_others_files():
    generic = json.dumps({"title": "A", "body": "B", "date": "2020-01-01"}).encode()
    assert detect(SourceFile("a.json", generic)).name == "json"
    item = json.loads(sample("ninjs/ninjs2.json").read_text())
    assert detect(SourceFile("b.json", json.dumps(item).encode())).name == "ninjs"
    # ninjs items one per line are still ninjs.
    lines = "\n".join(json.dumps(item) for _ in range(2)).encode()
    assert detect(SourceFile("c.jsonl", lines)).name == "ninjs"
    # A configured field mapping says "generic export", whatever the keys.
    assert detect(SourceFile("d.json", json.dumps(item).encode(),
                             field_map={"headline": "headline"})).name == "json"


# --- detection and encodings -------------------------------------------------------------

def test_detection_is_by_content_not_name(tmp_path):
    renamed = {
        "story.txt": ("nitf/aap.xml", "nitf"),
        "story.json": ("newsml-1/afp.xml", "newsml-1"),
        "feed.xml": ("ninjs/ninjs1.json", "ninjs"),
        "wire.dat": ("anpa/anpa-1.tst", "anpa"),
    }
    for new_name, (relative, reader) in renamed.items():
        source = SourceFile(str(tmp_path / new_name), sample(relative).read_bytes())
        assert detect(source).name == reader, new_name


def test_xml_with_wrong_declared_encoding_is_read_with_a_warning():
    data = ('<?xml version="1.0" encoding="UTF-8"?><nitf><head><title>Zürich</title></head>'
            '<body><body.content><p>Grüezi mitenand.</p></body.content></body></nitf>'
            ).encode("latin-1")
    articles, rejections = read("z.xml", data)
    assert [r.severity for r in rejections] == ["warning"]
    assert articles[0].headline == "Zürich" and articles[0].body == "Grüezi mitenand."


@pytest.mark.parametrize("label, encoding", [("UTF-16", "utf-16"),
                                             ("UTF-16LE", "utf-16-le"),
                                             ("UTF-16BE", "utf-16-be")])
def test_xml_in_utf16_with_or_without_a_byte_order_mark(label, encoding):
    text = (f'<?xml version="1.0" encoding="{label}"?><nitf><body><body.head><hedline>'
            '<hl1>Ελλάδα</hl1></hedline></body.head><body.content><p>Κείμενο.</p>'
            '</body.content></body></nitf>')
    articles, rejections = read("greek.xml", text.encode(encoding))
    assert rejections == []
    assert (articles[0].headline, articles[0].body) == ("Ελλάδα", "Κείμενο.")


def test_html_entities_and_doctype_in_nitf():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE nitf SYSTEM "nitf-3-4.dtd">\n<nitf><body>'
            b'<body.head><hedline><hl1>Caf&eacute; &amp; bar</hl1></hedline></body.head>'
            b'<body.content><p>One&nbsp;two &mdash; three.</p></body.content></body></nitf>')
    (article,), rejections = read("entities.xml", data)
    assert rejections == []
    assert article.headline == "Café & bar"
    assert article.body == "One two — three."


def test_truncated_newsml_message_keeps_complete_items():
    item = ('<newsItem guid="urn:x:{n}"><contentMeta><headline>Story {n}</headline>'
            '</contentMeta><contentSet><inlineData contenttype="text/plain">Text {n}.'
            '</inlineData></contentSet></newsItem>')
    data = ('<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>'
            + item.format(n=1) + "\n" + item.format(n=2) + "\n" + item.format(n=3)[:60])
    articles, rejections = read("cut.xml", data.encode())
    assert [a.headline for a in articles] == ["Story 1", "Story 2"]
    assert [a.id for a in articles] == ["newsml-g2:urn:x:1", "newsml-g2:urn:x:2"]
    assert len(rejections) == 1
    assert rejections[0].position.startswith("line 3, column")
    assert "malformed XML" in rejections[0].reason


@pytest.mark.parametrize("items", [2, 200])
def test_a_newsml_message_broken_inside_keeps_the_items_before_the_break(items):
    item = ('<newsItem guid="urn:x:{n}"><contentMeta><headline>Story {n}</headline>'
            '</contentMeta><contentSet><inlineXML contenttype="application/xhtml+xml">'
            '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Para {n}.</p></body></html>'
            '</inlineXML></contentSet></newsItem>\n')
    broken = item.format(n=items).replace("</p>", "</b>")
    data = ('<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><itemSet>\n'
            + "".join(item.format(n=n) for n in range(1, items)) + broken
            + "</itemSet></newsMessage>")
    articles, rejections = read("broken.xml", data.encode())
    assert [a.headline for a in articles] == [f"Story {n}" for n in range(1, items)]
    assert len(rejections) == 1 and "malformed XML" in rejections[0].reason
    assert rejections[0].position.startswith(f"line {items + 1}, column")


def test_newsml_g2_picture_items_are_skipped_with_a_warning():
    data = (b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="p1"><itemMeta>'
            b'<itemClass qcode="ninat:picture"/></itemMeta></newsItem>')
    articles, rejections = read("photo.xml", data)
    assert articles == []
    assert rejections[0].severity == "warning" and "picture" in rejections[0].reason


# --- never raise -------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
ANPA_ALPHABET = st.sampled_from(["\x16", "\x01", "\x02", "\x03", "\x04", "\x1f", "\x13",
                                 "\x11", "\x12", "\x08", "\x10", "\t", "\n", "\r", "^", "<",
                                 "=", "{", "_", "``", "''", " ", "BC-LT--", "AP-WF-",
                                 "11-13-13 1509GMT", "W2870", "f l", " (AP) _ ", "By ",
                                 "BUENOS AIRES, Argentina", "x", "7"])


def _all_records_or_rejections(items) -> None:
    for item in items:
        assert isinstance(item, RawRecord | Rejection)


@FAST
@given(st.binary(max_size=2000))
def test_json_reader_never_raises_on_bytes(data):
    _all_records_or_rejections(jsonl.read(SourceFile("x.jsonl", data)))
    _all_records_or_rejections(ninjs.read(SourceFile("x.json", data)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["title", "headline", "body", "text", "date", "id",
                                       "tags", "places", "source", "body_html", "subject",
                                       "uri", "name", "code", "items", "x"]),
                      children, max_size=6),
    max_leaves=20)


@FAST
@given(st.lists(JSON_VALUES, max_size=5), st.booleans())
def test_json_reader_never_raises_on_json_values(values, as_lines):
    text = ("\n".join(json.dumps(value) for value in values) if as_lines
            else json.dumps(values))
    for reader in (jsonl, ninjs):
        _all_records_or_rejections(reader.read(SourceFile("x.json", text.encode())))


@FAST
@given(st.binary(max_size=2000))
def test_anpa_reader_never_raises_on_bytes(data):
    _all_records_or_rejections(anpa.read(SourceFile("x.tst", data)))


@FAST
@given(st.lists(ANPA_ALPHABET, max_size=80))
def test_anpa_reader_never_raises_on_anpa_like_text(pieces):
    data = "".join(pieces).encode()
    _all_records_or_rejections(anpa.read(SourceFile("x.tst", data)))


@FAST
@given(st.binary(max_size=1500))
def test_detection_and_reading_never_raise(data):
    for prefix in (b"", b"<?xml version='1.0'?><nitf>", b"<newsItem xmlns="
                   b"'http://iptc.org/std/nar/2006-10-01/'>", b"<!DOCTYPE html><html>",
                   b"\x16\x16\x01"):
        _all_records_or_rejections(read_source(SourceFile("x", prefix + data)))


@pytest.mark.parametrize("relative, from_file", [
    ("nitf/aap.xml", False), ("nitf/ap-nitf.xml", True),  # doc-id, none
    ("newsml-g2/ansa-newsmlg2-text.xml", False), ("newsml-1/afp.xml", False),
    ("ninjs/ninjs1.json", False), ("anpa/ap_anpa-1.tst", False),
])
def test_readers_say_when_an_id_is_made_from_the_file_name(relative, from_file):
    path = sample(relative)
    records = [item for item in read_source(SourceFile(str(path), path.read_bytes()))
               if isinstance(item, RawRecord)]
    assert records and {record.id_from_file for record in records} == {from_file}
    if from_file:
        assert records[0].native_id == path.stem


def test_a_json_story_without_an_id_is_said_to_take_its_file_name():
    records = [item for item in read_source(SourceFile(
        "exports/2024-02/export.jsonl", b'{"title": "A", "body": "b"}\n{"id": "7", '
        b'"title": "B", "body": "c"}\n')) if isinstance(item, RawRecord)]
    assert [(r.native_id, r.id_from_file) for r in records] == [("export/1", True),
                                                               ("7", False)]
