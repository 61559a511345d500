"""Ranking evaluation: how well wiresearch, SQLite FTS5 and tantivy rank Reuters-21578
stories for two sets of judged queries, measured with ir-measures.

    python bench/eval.py [--split test|train] [--reuters DIR] [--work DIR] [--rebuild]

The judged sets, both made from Reuters-21578 and its editors' own labels:

- Topic queries: one per Reuters TOPICS category that the editors gave to at least 20
  articles (over the whole collection). The query is the category's description in
  cat-descriptions_120396.txt ("Interest Rates", "Money Supply"); commodity codes have no
  description there, so their query is the code itself ("PALM-OIL" -> "palm oil"). The
  relevant articles are those labelled with the category.
- Known-item queries: 500 articles drawn with a fixed seed from those whose headline has
  at least three words and is not shared by another article of the split (a headline
  that two stories share cannot tell them apart). The query is the headline's words
  (lower-cased; "U.S." is two words) with a quarter of them dropped (rounded down, at
  least one) and one remaining word of four or more letters misspelt, by swapping two
  neighbouring letters or deleting one (never the first letter): "MARBLE FINANCIAL CORP
  <MRBL> 1ST QTR NET" -> "marbel financial corp mrbl 1st net". Which words and which
  edit come from a random generator seeded with the article's id, so the queries never
  change. The one relevant article is the article itself.

The split. Reuters marks each story LEWISSPLIT="TRAIN", "TEST" or "NOT-USED". Each split
is evaluated on its own: its stories (and only those) are indexed by every engine, and
its queries are judged against its stories only. Topic queries with no labelled story in
the split are left out; known items are drawn from the split. Ranking defaults are tuned
on TRAIN (`--split train`); the figures to report are TEST's (the default), which the
tuning never saw. NOT-USED stories are in neither.

Query modes. Every engine gets the same words (runs of letters and digits, lower-cased),
in two modes:

- any: any of the words, ranked (`a OR b OR c` in wiresearch and FTS5, tantivy's
  default); the headline mode, as a ranked search box is used: a missing or misspelt
  word costs rank, not the whole result.
- all: every word must match (wiresearch's default, FTS5's default, tantivy with
  conjunction_by_default).

Engines index headline and body; wiresearch also its dateline, as it always does.
wiresearch is the library as users run it (Archive.index on the split's files,
Archive.search); wiresearch-expand searches the same index with expand=True (query
expansion, an option). SQLite FTS5 (porter tokenizer, bm25 via ORDER BY rank) and raw
tantivy (en_stem) are built as bench/run.py builds them, from the articles wiresearch's
reader parsed. Each query takes the first 1,000 hits for topic queries and 100 for known items.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from run import SQLITE_FILE, build_sqlite, build_tantivy  # noqa: E402

DEFAULT_REUTERS = REPO.parent / "shared" / "corpora" / "reuters21578"
DEFAULT_WORK = BENCH / "work" / "eval"
SPLITS = {"train": "TRAIN", "test": "TEST"}
ENGINES = ("wiresearch", "wiresearch-expand", "sqlite-fts5", "tantivy")
MODES = ("any", "all")
MODE_TITLES = {"any": "any word (OR, ranked)", "all": "all words (AND)"}

MIN_TOPIC_ARTICLES = 20
KNOWN_ITEMS = 500
KNOWN_ITEM_SEED = 21578
KNOWN_ITEM_MIN_WORDS = 3
DROP_EVERY = 4  # one word in four is dropped
MISSPELL_MIN_LETTERS = 4
TOPIC_DEPTH = 1000
KNOWN_ITEM_DEPTH = 100

SET_MEASURES = {
    "topics": ("AP", "nDCG@10", "P@10", "RR"),
    "known-item": ("RR", "nDCG@10", "Success@10"),
}
# ir-measures' names, as the table shows them.
MEASURE_TITLES = {"AP": "MAP", "RR": "MRR", "Success@10": "S@10"}

_RECORD = re.compile(rb"<REUTERS\b[^>]*>.*?</REUTERS>\s*", re.S)
_SPLIT = re.compile(rb'LEWISSPLIT="([A-Z-]+)"')
_WORD = re.compile(r"\w+")
_DESCRIBED = re.compile(r"^(.*\S)\s+\(([A-Z0-9-]+)\)\s*$")
_CODE = re.compile(r"^[A-Z0-9-]+$")


# The split's files and articles

def write_split(reuters: Path, split: str, out: Path) -> None:
    """The split's <REUTERS> records, copied byte for byte into files of the same names,
    so that wiresearch indexes them from files as users do."""
    out.mkdir(parents=True, exist_ok=True)
    for source in sorted(reuters.glob("reut2-*.sgm")):
        data = source.read_bytes()
        kept = [record.group() for record in _RECORD.finditer(data)
                if _split_of(record.group()) == split]
        (out / source.name).write_bytes(b"".join(kept))


def _split_of(record: bytes) -> str:
    found = _SPLIT.search(record[:200])
    return found.group(1).decode() if found else ""


def read_articles(folder: Path) -> list[dict]:
    """The split's articles, read with wiresearch's reader and normalization (what every
    engine indexes), with the editors' topics and whether the story has a headline."""
    from wiresearch import formats
    from wiresearch.model import Rejection
    from wiresearch.normalize import normalize

    articles = []
    for path in sorted(folder.glob("reut2-*.sgm")):
        source = formats.SourceFile(str(path), path.read_bytes())
        for item in formats.read_source(source):
            if isinstance(item, Rejection):
                continue
            article = normalize(item).article
            articles.append({
                "id": article.id, "headline": article.headline, "body": article.body,
                "dateline": article.dateline, "date": None, "year": None, "countries": [],
                "topics": [topic.strip().lower() for topic in item.topics],
                "has_headline": bool(item.headline.strip()),
            })
    return articles


# The judged sets

def words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def topic_descriptions(path: Path) -> dict[str, str]:
    """Topic code (lower case, as articles carry it) -> description, from the TOPICS part
    of cat-descriptions (before the organisation, exchange, place and people lists)."""
    text = path.read_text(encoding="latin-1")
    start = text.index("****Subject Codes")
    end = text.index("@heading", start)
    found = {}
    for line in text[start:end].splitlines():
        line = line.strip()
        if not line or line.startswith("*") or line.startswith("_"):
            continue
        described = _DESCRIBED.match(line)
        if described:
            found[described.group(2).lower()] = described.group(1)
        elif _CODE.match(line):
            found[line.lower()] = line.replace("-", " ").lower()
    return found


def topic_set(articles: list[dict], collection_counts: Counter, descriptions: dict[str, str]
              ) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """(query id -> text, qrels) for the topics labelled on at least MIN_TOPIC_ARTICLES
    articles of the collection and on at least one of the split's."""
    queries, qrels = {}, {}
    for code, description in sorted(descriptions.items()):
        if collection_counts[code] < MIN_TOPIC_ARTICLES:
            continue
        relevant = {a["id"]: 1 for a in articles if code in a["topics"]}
        if relevant:
            queries[code] = description
            qrels[code] = relevant
    return queries, qrels


def misspelt(word: str, rng: random.Random) -> str:
    """One edit a typist makes: two neighbouring letters swapped, or a letter left out;
    the first letter is left alone."""
    at = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    return word[:at] + word[at + 1:]


def known_item_query(article: dict) -> str:
    headline = words(article["headline"])
    rng = random.Random(f"{KNOWN_ITEM_SEED}:{article['id']}")
    dropped = set(rng.sample(range(len(headline)), max(1, len(headline) // DROP_EVERY)))
    kept = [word for position, word in enumerate(headline) if position not in dropped]
    spellable = [i for i, word in enumerate(kept)
                 if len(word) >= MISSPELL_MIN_LETTERS and word.isalpha()]
    if spellable:
        chosen = rng.choice(spellable)
        kept[chosen] = misspelt(kept[chosen], rng)
    return " ".join(kept)


def known_item_set(articles: list[dict]) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    headlines = Counter(" ".join(words(a["headline"])) for a in articles)
    candidates = sorted(
        (a for a in articles if a["has_headline"]
         and len(words(a["headline"])) >= KNOWN_ITEM_MIN_WORDS
         and headlines[" ".join(words(a["headline"]))] == 1),
        key=lambda a: int(a["id"].rsplit(":", 1)[1]))
    drawn = random.Random(KNOWN_ITEM_SEED).sample(candidates,
                                                   min(KNOWN_ITEMS, len(candidates)))
    queries = {a["id"]: known_item_query(a) for a in drawn}
    return queries, {article_id: {article_id: 1} for article_id in queries}


# Engines: the same words, in either mode, to each

class Wiresearch:
    expand = False

    def __init__(self, path: Path):
        from wiresearch import Archive

        self.archive = Archive(path)

    def search(self, query_words: list[str], mode: str, depth: int) -> list[str]:
        text = " ".join(query_words) if mode == "all" else " OR ".join(query_words)
        return [hit.id for hit in self.archive.search(text, limit=depth,
                                                      expand=self.expand).hits]

    def close(self) -> None:
        self.archive.close()


class SqliteFts5:
    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(path / SQLITE_FILE)

    def search(self, query_words: list[str], mode: str, depth: int) -> list[str]:
        quoted = ['"' + word + '"' for word in query_words]
        match = " ".join(quoted) if mode == "all" else " OR ".join(quoted)
        rows = self.db.execute(
            "SELECT a.id FROM (SELECT rowid, rank FROM fts WHERE fts MATCH ? "
            "ORDER BY rank LIMIT ?) AS m JOIN article AS a ON a.rowid = m.rowid "
            "ORDER BY m.rank", (match, depth)).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.db.close()


class Tantivy:
    def __init__(self, path: Path):
        import tantivy

        self.index = tantivy.Index.open(str(path))
        self.searcher = self.index.searcher()

    def search(self, query_words: list[str], mode: str, depth: int) -> list[str]:
        parsed = self.index.parse_query(" ".join(query_words), ["headline", "body"],
                                        conjunction_by_default=mode == "all")
        result = self.searcher.search(parsed, depth)
        return [self.searcher.doc(address)["id"][0] for _score, address in result.hits]

    def close(self) -> None:
        self.searcher = None


class WiresearchExpanded(Wiresearch):
    """wiresearch asked to expand each query from its best matches (`expand=True`)."""

    expand = True


SESSIONS = {"wiresearch": Wiresearch, "wiresearch-expand": WiresearchExpanded,
            "sqlite-fts5": SqliteFts5, "tantivy": Tantivy}
# Engines that search another's index.
INDEX_OF = {"wiresearch-expand": "wiresearch"}


# Building

class Split:
    """One split's files, articles, judged sets and indexes, under work/<split>/."""

    def __init__(self, reuters: Path, work: Path, split: str, rebuild: bool = False):
        self.reuters = reuters
        self.folder = work / split
        self.label = SPLITS[split]
        if rebuild:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.corpus = self.folder / "corpus"
        if not (self.corpus / "complete").exists():
            shutil.rmtree(self.corpus, ignore_errors=True)
            write_split(reuters, self.label, self.corpus)
            (self.corpus / "complete").touch()
        self.articles = read_articles(self.corpus)

    def judged_sets(self) -> dict[str, tuple[dict[str, str], dict[str, dict[str, int]]]]:
        labelled = collection_topic_counts(self.reuters)
        return {
            "topics": topic_set(self.articles, labelled,
                                topic_descriptions(self.reuters / "cat-descriptions_120396.txt")),
            "known-item": known_item_set(self.articles),
        }

    def index(self, engine: str) -> Path:
        """The engine's index of the split, built once (in a temporary folder that is
        renamed when complete, so that an interrupted build is never used)."""
        path = self.folder / engine
        if path.exists():
            return path
        building = self.folder / f"{engine}.building"
        shutil.rmtree(building, ignore_errors=True)
        started = time.perf_counter()
        if engine == "wiresearch":
            from wiresearch import Archive

            with Archive(building) as archive:
                archive.index([self.corpus], jobs=1)
        elif engine == "sqlite-fts5":
            build_sqlite(building, self.articles)
        else:
            build_tantivy(building, self.articles)
        building.rename(path)
        log(f"built {engine} index of {len(self.articles):,} {self.label} articles in "
            f"{time.perf_counter() - started:.0f} s")
        return path


def collection_topic_counts(reuters: Path) -> Counter:
    """How many articles of the whole collection carry each topic."""
    counts: Counter = Counter()
    topics = re.compile(rb"<TOPICS>(.*?)</TOPICS>", re.S)
    label = re.compile(rb"<D>(.*?)</D>")
    for source in sorted(reuters.glob("reut2-*.sgm")):
        for found in topics.finditer(source.read_bytes()):
            counts.update({value.decode().strip().lower()
                           for value in label.findall(found.group(1))})
    return counts


# Measuring

def evaluate(session, queries: dict[str, str], qrels: dict, mode: str, depth: int,
             measures) -> dict[str, float]:
    import ir_measures

    run = []
    for query_id, text in queries.items():
        found = session.search(words(text), mode, depth)
        # Scores from rank, so that ir-measures keeps each engine's own order.
        run.extend(ir_measures.ScoredDoc(query_id, doc_id, float(len(found) - rank))
                   for rank, doc_id in enumerate(found))
    judged = [ir_measures.Qrel(query_id, doc_id, relevance)
              for query_id, docs in qrels.items() for doc_id, relevance in docs.items()]
    found = ir_measures.calc_aggregate(measures, judged, run)
    return {str(measure): found.get(measure, 0.0) for measure in measures}


def measure_all(split: Split, engines=ENGINES, modes=MODES) -> dict:
    """{mode: {engine: {set: {measure: value}}}} and the query counts per set."""
    import ir_measures

    sets = split.judged_sets()
    figures: dict = {mode: {} for mode in modes}
    for engine in engines:
        session = SESSIONS[engine](split.index(INDEX_OF.get(engine, engine)))
        try:
            for mode in modes:
                started = time.perf_counter()
                figures[mode][engine] = {}
                for name, (queries, qrels) in sets.items():
                    depth = TOPIC_DEPTH if name == "topics" else KNOWN_ITEM_DEPTH
                    measures = [ir_measures.parse_measure(m) for m in SET_MEASURES[name]]
                    figures[mode][engine][name] = evaluate(session, queries, qrels, mode,
                                                           depth, measures)
                log(f"{engine}, {mode}: {time.perf_counter() - started:.1f} s")
        finally:
            session.close()
    counts = {name: len(queries) for name, (queries, _qrels) in sets.items()}
    return {"figures": figures, "queries": counts}


def table(result: dict, split_label: str) -> str:
    lines = []
    counts = result["queries"]
    header = ["engine"] + [f"{name} {MEASURE_TITLES.get(m, m)}"
                           for name, measures in SET_MEASURES.items() for m in measures]
    for mode, engines in result["figures"].items():
        lines.append(f"{split_label} split, {MODE_TITLES[mode]}: {counts['topics']} topic "
                     f"queries, {counts['known-item']} known items")
        rows = [[engine] + [f"{engines[engine][name][m]:.4f}"
                            for name, measures in SET_MEASURES.items() for m in measures]
                for engine in engines]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            lines.append("  ".join([row[0].ljust(widths[0])] +
                                   [cell.rjust(w) for cell, w in zip(row[1:], widths[1:],
                                                                     strict=True)]))
        lines.append("")
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=tuple(SPLITS), default="test",
                        help="test (the report) or train (for tuning); default test")
    parser.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS,
                        help="the Reuters-21578 folder (reut2-*.sgm, cat-descriptions)")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK,
                        help="where the split's files and indexes are kept between runs")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"comma-separated, from {', '.join(ENGINES)}")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="any, all or both (any first: the headline mode)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild the split's files and indexes")
    args = parser.parse_args(argv)
    if not list(args.reuters.glob("reut2-*.sgm")):
        parser.error(f"no reut2-*.sgm files in {args.reuters}: give --reuters DIR")
    engines = [e for e in args.engines.split(",") if e]
    modes = [m for m in args.modes.split(",") if m]
    for name in engines:
        if name not in ENGINES:
            parser.error(f"unknown engine {name!r}")
    for name in modes:
        if name not in MODES:
            parser.error(f"unknown mode {name!r}")
    started = time.perf_counter()
    split = Split(args.reuters, args.work, args.split, args.rebuild)
    result = measure_all(split, engines, modes)
    print(table(result, split.label))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    log(f"{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
