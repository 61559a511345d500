"""Bundles (zip, gzip, tar, tar.gz) are read in place: each member with its own reader,
named `bundle!member`, with limits against bombs and path tricks. Archives are built
for each test in tmp_path from real files."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from wiresearch.formats import bundles, read_source
from wiresearch.formats.base import SourceFile
from wiresearch.model import RawRecord, Rejection
from wiresearch.normalize import normalize

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
WIRE = CORPORA / "wire-formats"
REUTERS = CORPORA / "reuters21578" / "reut2-000.sgm"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

NITF = (b'<?xml version="1.0"?><nitf><head><docdata><doc-id id-string="{id}"/></docdata>'
        b'</head><body><body.head><hedline><hl1>Story {id}</hl1></hedline></body.head>'
        b'<body.content><p>Text of story {id}.</p></body.content></body></nitf>')


def nitf(identifier: str) -> bytes:
    return NITF.replace(b"{id}", identifier.encode())


def needs(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared corpus file not found at {path} "
                    "(the ../shared/corpora folder next to the repository)")
    return path


def read(path: Path, **options) -> tuple[list[RawRecord], list[Rejection]]:
    records, rejections = [], []
    for item in read_source(SourceFile(str(path), path.read_bytes(), **options)):
        (rejections if isinstance(item, Rejection) else records).append(item)
    return records, rejections


def ids(records: list[RawRecord]) -> list[str]:
    """Article ids (normalize makes them `<collection>:<native id>`)."""
    return [f"{record.collection}:{record.native_id}" for record in records]


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def make_tar(path: Path, members: dict[str, bytes], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def all_wire_samples() -> dict[str, bytes]:
    needs(WIRE)
    members = {str(path.relative_to(WIRE)): path.read_bytes()
               for path in sorted(WIRE.rglob("*")) if path.is_file()}
    members["html/harbour-strike.html"] = (FIXTURES / "html" / "harbour-strike.html").read_bytes()
    members["exports/day.jsonl"] = b'{"id": "e1", "title": "Export one", "text": "Body."}\n'
    return members


# Expected first id of each member: which reader read it shows in the collection.
EXPECTED = {
    "anpa/anpa-1.tst": "ap:20131113-W2870",
    "anpa/ap_anpa-1.tst": "ap:20160220-z6715",
    "anpa/ap_anpa-2.tst": "ap:20160517-z9631",
    "newsml-1/afp.xml": "afp:20140829T135002Z:TX-PAR-FXW86",
    "newsml-g2/LISTING 1 A NewsML-G2 News Item.xml":
        "reuters:urn:newsml:acmenews.com:20161018:US-FINANCE-FED",
    "newsml-g2/ansa-newsmlg2-text.xml":
        "ansa:tag:ansa.it,2017-10-11:40e5fb1034e7e2b21942ea09718fc85a",
    "newsml-g2/tag_reuters.com,2018_newsml_MTZXEE13ZXCZES_2":
        "reuters:tag:reuters.com,2018:newsml_MTZXEE13ZXCZES",
    "ninjs/bbc-ninjs-text-test.json": "ninjs:https://www.example.com//12345",
    "ninjs/ninjs2.json": "reuters:tag:localhost:2017:7ca07622-3b19-4d61-8daf-18500412d46b",
    "nitf/aap.xml": "aap:AAP.115314987.5417374",
    "nitf/ap-nitf.xml": "ap:ap-nitf",
    "nitf/efe_nitf.xml": "efe:22751909",
    "nitf/nitf-ntb.xml": "ntb:faktisk-d9cde75b-256e-4989-b6a3-b8ad27f43a5c_47",
    "html/harbour-strike.html": "reuters:https://www.reuters.com/world/europe/"
                                "dockers-strike-shuts-rotterdam-harbour-2021-03-04/",
    "exports/day.jsonl": "json:e1",
}


def check_mixed(path: Path, records: list[RawRecord], rejections: list[Rejection]) -> None:
    assert rejections == []
    by_member = {record.path.split("!", 1)[1]: normalize(record).article.id
                 for record in records}
    for member, expected in EXPECTED.items():
        assert by_member[member] == expected, member
    assert all(record.path.startswith(f"{path}!") for record in records)
    assert len(records) == 16


def test_zip_of_every_format_reads_each_member_with_its_reader(tmp_path):
    path = make_zip(tmp_path / "wires.zip", all_wire_samples())
    check_mixed(path, *read(path))


def test_tar_gz_and_plain_tar_give_the_same_articles(tmp_path):
    members = all_wire_samples()
    for name, mode in (("wires.tar.gz", "w:gz"), ("wires.tgz", "w:gz"), ("wires.tar", "w")):
        path = make_tar(tmp_path / name, members, mode)
        check_mixed(path, *read(path))


def test_a_member_reads_like_the_same_file_on_its_own(tmp_path):
    plain = needs(WIRE / "nitf" / "ap-nitf.xml")
    path = make_zip(tmp_path / "day.zip", {"ap/ap-nitf.xml": plain.read_bytes()})
    (member,), _ = read(path)
    (alone,), _ = read(plain)
    assert member.path == f"{path}!ap/ap-nitf.xml"
    assert normalize(member).article.id == normalize(alone).article.id == "ap:ap-nitf"
    assert normalize(member).article.body == normalize(alone).article.body


def test_gzipped_reuters_gives_the_same_thousand_ids(tmp_path):
    data = needs(REUTERS).read_bytes()
    path = tmp_path / "reut2-000.sgm.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(data)
    plain_records, plain_rejections = read(REUTERS)
    gz_records, gz_rejections = read(path)
    assert plain_rejections == gz_rejections == []
    assert len(gz_records) == 1000
    assert ids(gz_records) == ids(plain_records)
    assert ids(gz_records)[0] == "reuters21578:1"
    assert gz_records[0].path == f"{path}!reut2-000.sgm"


def test_gzip_without_a_stored_name_is_named_after_the_bundle(tmp_path):
    path = tmp_path / "story.xml.gz"
    path.write_bytes(gzip.compress(nitf("A1"), mtime=0))
    (record,), rejections = read(path)
    assert rejections == []
    assert record.path == f"{path}!story.xml"
    assert normalize(record).article.id == "nitf:A1"


def test_truncated_gzip_reports_the_damage_and_reads_what_came_through(tmp_path):
    data = needs(REUTERS).read_bytes()
    compressed = gzip.compress(data)
    path = tmp_path / "cut.sgm.gz"
    path.write_bytes(compressed[: len(compressed) // 2])
    records, rejections = read(path)
    assert 100 < len(records) < 1000
    assert ids(records) == [f"reuters21578:{n}" for n in range(1, len(records) + 1)]
    damage = [r for r in rejections if "gzip" in r.reason]
    assert len(damage) == 1 and damage[0].path == f"{path}!cut.sgm"
    # The record cut in half is reported by the Reuters reader, not indexed.
    assert any("truncated record" in r.reason for r in rejections)


def test_malformed_member_is_reported_and_the_rest_read(tmp_path):
    path = make_zip(tmp_path / "day.zip", {
        "a.xml": nitf("A"),
        "broken.xml": nitf("B")[:150],
        "c.xml": nitf("C"),
    })
    records, rejections = read(path)
    assert ids(records) == ["nitf:A", "nitf:C"]
    (rejection,) = rejections
    assert rejection.path == f"{path}!broken.xml"
    assert rejection.position.startswith("line 1, column")
    assert "malformed XML" in rejection.reason


def test_broken_json_line_in_a_member_names_bundle_member_and_line(tmp_path):
    lines = [json.dumps({"id": "1", "title": "One", "text": "x"}), '{"id": "2", "title": ',
             json.dumps({"id": "3", "title": "Three", "text": "z"})]
    path = make_zip(tmp_path / "export.zip", {"2019/03/day.jsonl": "\n".join(lines).encode()})
    records, rejections = read(path)
    assert ids(records) == ["json:1", "json:3"]
    (rejection,) = rejections
    assert (rejection.path, rejection.position) == (f"{path}!2019/03/day.jsonl", "line 2")


def test_whole_member_problems_have_a_position(tmp_path):
    # An empty or binary member must not read as a failure of the whole bundle.
    path = make_zip(tmp_path / "mixed.zip", {"empty.xml": b"", "photo.bin": bytes(range(256)),
                                             "ok.xml": nitf("OK")})
    records, rejections = read(path)
    assert ids(records) == ["nitf:OK"]
    assert {(r.path.split("!")[1], r.position) for r in rejections} == {
        ("empty.xml", "whole member"), ("photo.bin", "whole member")}


def test_zip_over_the_expansion_limit_stops_and_says_where(tmp_path, monkeypatch):
    monkeypatch.setattr(bundles, "MAX_TOTAL_BYTES", 200_000)
    path = make_zip(tmp_path / "bomb.zip", {
        "first.xml": nitf("F"),
        "zeros.txt": b"0" * 1_000_000,
        "after.xml": nitf("Z"),
    })
    records, rejections = read(path)
    assert ids(records) == ["nitf:F"]
    (rejection,) = rejections
    assert rejection.path == f"{path}!zeros.txt"
    assert "in total" in rejection.reason and "the rest were not read" in rejection.reason


def test_member_over_its_limit_is_skipped_and_the_rest_read(tmp_path, monkeypatch):
    monkeypatch.setattr(bundles, "MAX_MEMBER_BYTES", 100_000)
    big = b"\n".join(b"line %d of a very long plain text" % n for n in range(20_000))
    for name, maker in (("big.zip", make_zip), ("big.tar.gz", make_tar)):
        members = {"first.xml": nitf("F"), "huge.txt": big, "after.xml": nitf("Z")}
        path = (make_zip(tmp_path / name, members) if maker is make_zip
                else make_tar(tmp_path / name, members, "w:gz"))
        records, rejections = read(path)
        assert ids(records) == ["nitf:F", "nitf:Z"], name
        (rejection,) = rejections
        assert rejection.path == f"{path}!huge.txt"
        assert "for one member" in rejection.reason


def test_too_many_members(tmp_path, monkeypatch):
    monkeypatch.setattr(bundles, "MAX_MEMBERS", 3)
    path = make_zip(tmp_path / "many.zip", {f"{n}.xml": nitf(str(n)) for n in range(5)})
    records, rejections = read(path)
    assert ids(records) == ["nitf:0", "nitf:1", "nitf:2"]
    assert [r.reason for r in rejections] == ["more than 3 members: the rest were not read"]


def test_path_tricks_are_rejected_with_a_reason(tmp_path):
    path = make_zip(tmp_path / "tricks.zip", {
        "../../etc/evil.xml": nitf("E1"),
        "/abs/evil.xml": nitf("E2"),
        "fine/../../evil.xml": nitf("E3"),
        "ok.xml": nitf("OK"),
    })
    records, rejections = read(path)
    assert ids(records) == ["nitf:OK"]
    assert len(rejections) == 3
    assert all(r.path.startswith(f"{path}!") for r in rejections)
    assert {r.reason for r in rejections} == {"'..' in member path: member not read",
                                              "absolute path in bundle: member not read"}


def test_tar_links_are_not_followed(tmp_path):
    path = tmp_path / "links.tar"
    with tarfile.open(path, "w") as archive:
        link = tarfile.TarInfo("passwd.xml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
        info = tarfile.TarInfo("ok.xml")
        data = nitf("OK")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    records, rejections = read(path)
    assert ids(records) == ["nitf:OK"]
    assert [(r.path, r.reason) for r in rejections] == [
        (f"{path}!passwd.xml", "link in bundle: not followed")]


def test_nested_bundles_are_read_to_a_small_depth(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("deep/story.xml", nitf("D"))
    gzipped = gzip.compress(inner.getvalue())
    path = make_zip(tmp_path / "outer.zip", {"inner.zip": inner.getvalue(),
                                             "inner.zip.gz": gzipped})
    records, rejections = read(path)
    assert rejections == []
    assert [r.path for r in records] == [f"{path}!inner.zip!deep/story.xml",
                                         f"{path}!inner.zip.gz!inner.zip!deep/story.xml"]
    # Wrapped once more than allowed: reported, not opened.
    data = nitf("X")
    for _ in range(bundles.MAX_DEPTH + 1):
        data = gzip.compress(data)
    deep = tmp_path / "deep.gz"
    deep.write_bytes(data)
    records, rejections = read(deep)
    assert records == []
    assert len(rejections) == 1 and "nested more than" in rejections[0].reason


def test_damaged_zip_is_one_rejection_for_the_file(tmp_path):
    path = tmp_path / "damaged.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00garbage" * 20)
    records, rejections = read(path)
    assert records == []
    assert len(rejections) == 1 and rejections[0].path == str(path)
    assert "unreadable zip" in rejections[0].reason


def test_members_keep_the_configured_source_and_field_map(tmp_path):
    export = json.dumps([{"hed": "Mapped headline", "copy": "Mapped body", "ref": "r9"}])
    path = make_zip(tmp_path / "export.zip", {"items.json": export.encode()})
    (record,), rejections = read(path, source="Newsdesk", field_map={
        "headline": "hed", "body": "copy", "id": "ref"})
    assert rejections == []
    article = normalize(record).article
    assert (article.id, article.source, article.headline, article.body) == (
        "json:r9", "Newsdesk", "Mapped headline", "Mapped body")


def test_readme_and_hidden_members_are_skipped(tmp_path):
    path = make_zip(tmp_path / "bundle.zip", {"README.txt": b"About this bundle\n\nhi",
                                              "__MACOSX/._a.xml": b"\x00\x05\x16\x07",
                                              "a.xml": nitf("A")})
    records, rejections = read(path)
    assert ids(records) == ["nitf:A"] and rejections == []


def test_bundle_kinds_are_recognised_by_magic_bytes_not_names(tmp_path):
    path = make_zip(tmp_path / "looks-like.txt", {"a.xml": nitf("A")})
    assert bundles.kind(path.read_bytes()) == "zip"
    records, _ = read(path)
    assert ids(records) == ["nitf:A"]
    assert bundles.kind(b"plain text") is None
