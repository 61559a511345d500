"""The benchmark: build each engine's index over the same articles, time the same fixed
workload on each, check that wiresearch finds what a reference finds, and print a table
(also written as JSON and text under bench/results/).

    python bench/run.py --corpus bench/work/synth200k [--engines LIST] [--repeat 5]
                        [--json OUT] [--work DIR]

Engines (README.md says more):
  wiresearch          the library, end to end: Archive.index(files), Archive.search
  wiresearch-tantivy  the same with engine="tantivy"
  whoosh-default      stock Whoosh used the default way (the baseline of every ratio)
  sqlite-fts5         Python's sqlite3, an FTS5 table with the porter tokenizer
  tantivy             raw tantivy-py with its en_stem tokenizer

The peers are fed articles that wiresearch's readers parsed once (the shared parse,
timed separately) from a spool file. Every build, query workload and incremental run
happens in a child process of its own, so that each one's peak memory can be read and
no engine's caches or garbage slow down another's measurements.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ENGINES = ("wiresearch", "wiresearch-tantivy", "whoosh-default", "sqlite-fts5", "tantivy")
BASELINE = "whoosh-default"
# Built only to check wiresearch's matches and facet counts; never timed against.
REFERENCE = "reference"
# The same reference index asked with wiresearch's field weights: shows where top 10
# differences come from.
REFERENCE_WEIGHTED = "reference-weighted"
WIRESEARCH_ENGINES = {"wiresearch": "whoosh", "wiresearch-tantivy": "tantivy"}
FACETS = ("country", "year")
TOP = 10
MODES = ("plain", "facets", "newest")
MODE_TITLES = {"plain": "top 10 + total", "facets": "+ country & year facets",
               "newest": "newest first"}

# The fixed workload: Reuters vocabulary from very common to rare, one to four words and
# exact phrases. The queries run round-robin (all of them, then all again), so no query
# repeats before 40-odd others have run: a query repeated at once would time whatever
# an engine kept from its last run, not a search.
QUERIES = (
    # very common
    "said", "oil", "bank", "market", "billion", "company",
    # two words
    "oil prices", "interest rates", "trade deficit", "stock exchange", "central bank",
    "crude oil", "grain exports", "share offer", "dollar yen",
    # three and four words
    "trade deficit japan", "opec oil output", "federal reserve interest rates",
    "west german bundesbank", "wheat export subsidies", "tokyo stock market shares",
    # exact phrases
    '"money supply"', '"interest rates"', '"oil prices"', '"federal reserve"',
    '"net loss"', '"trade surplus"', '"stock split"', '"european community"',
    '"soviet union"', '"debt crisis"', '"bank of england"', '"new york stock exchange"',
    # phrases with words
    '"money supply" bundesbank', '"stock split" dividend',
    # rare
    "cocoa", "zinc", "rapeseed", "palladium", "hurricane", "tanker kuwait", "miners strike",
)
# `wiresearch search QUERY --json` as a whole command: a common word, several words, a
# phrase and a rare word.
CLI_QUERIES = ("oil", "trade deficit japan", '"money supply"', "palladium")
# A nightly run adds about this share of the archive's articles.
INCREMENT = 0.01
# Reuters SGML records, which an increment may split a file at (see reuters_increment).
REUTERS_RECORD = re.compile(rb"<REUTERS\b.*?</REUTERS>", re.S)
POLL_SECONDS = 0.2


# Machine and software

def machine_info() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable,
            "memory_bytes": memory, "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "os": platform.platform(), "load_average": list(os.getloadavg())}


def software_info() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("wiresearch", "Whoosh-Reloaded", "tantivy", "PyStemmer"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    import sqlite3

    found["sqlite"] = sqlite3.sqlite_version
    try:
        found["git"] = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        found["git"] = None
    return found


# Child processes and their memory

class ChildFailed(RuntimeError):
    pass


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            queue.extend(int(child) for child in children)
    return found


def _rss(pid: int) -> int:
    """The process's share of the memory it uses (its proportional set size): a page it
    shares with others, as the Whoosh engine's forked commit helper shares its parent's
    pages until one of them writes there, counts once over all of them, where summed
    resident sizes would count it once for each. Resident size where the kernel gives
    no proportional one."""
    for name, field in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            for line in Path(name).read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0


def run_child(task: dict, work: Path) -> dict:
    """Run `task` in a fresh Python process; its result, plus the peak of the summed
    resident memory of it and its workers, sampled every POLL_SECONDS."""
    tasks = work / "tasks"
    tasks.mkdir(parents=True, exist_ok=True)
    number = len(list(tasks.glob("*.task.json")))
    name = f"{number:03d}-{task['kind']}-{task.get('engine', '')}"
    task_path = tasks / f"{name}.task.json"
    task["out"] = str(tasks / f"{name}.result.json")
    task_path.write_text(json.dumps(task), encoding="utf-8")
    # Started with -c rather than this file, so that worker processes the child spawns
    # (wiresearch's readers) do not import this module again.
    boot = (f"import sys; sys.path.insert(0, {str(BENCH)!r}); "
            f"from run import child_main; child_main(sys.argv[1])")
    log_path = tasks / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-c", boot, str(task_path)],
                                   stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_rss(pid) for pid in _descendants(process.pid)))
            time.sleep(POLL_SECONDS)
    if process.returncode != 0:
        lines = log_path.read_text(errors="replace").strip().splitlines()
        reason = next((line for line in reversed(lines) if line.strip()), "no output")
        raise ChildFailed(f"{reason.strip()} (exit {process.returncode}; log {log_path})")
    result = json.loads(Path(task["out"]).read_text(encoding="utf-8"))
    result["tree_peak_rss"] = peak
    return result


def child_main(task_path: str) -> None:
    task = json.loads(Path(task_path).read_text(encoding="utf-8"))
    result = CHILD_TASKS[task["kind"]](task)
    import resource

    result["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # The largest single worker process the child waited for (wiresearch's readers).
    result["workers_maxrss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    Path(task["out"]).write_text(json.dumps(result), encoding="utf-8")


# The shared parse and the spool it fills

def corpus_files(corpus: Path) -> list[str]:
    """The files Archive.index reads from `corpus`, in the order it reads them."""
    from wiresearch import formats

    return [str(path.resolve()) for path in formats.walk([corpus])]


def parse_file(job: tuple[str, str]) -> dict:
    """Read one file with wiresearch's readers and normalization, as indexing does
    (ingest.process_file, without its spelling vocabulary), and write its articles to a
    spool shard. Runs in a worker process."""
    from wiresearch import formats
    from wiresearch.dates import epoch_seconds
    from wiresearch.model import Rejection
    from wiresearch.normalize import normalize

    path, shard = job
    ids: list[str] = []
    rejected = 0
    dump = 0.0
    with open(path, "rb") as handle:
        data = handle.read()
    with open(shard, "w", encoding="utf-8") as out:
        for item in formats.read_source(formats.SourceFile(path, data)):
            if isinstance(item, Rejection):
                rejected += item.severity != "warning"
                continue
            try:
                article = normalize(item).article
            except Exception:  # counted as indexing counts it: a rejected record
                rejected += 1
                continue
            started = time.perf_counter()
            day = article.date.isoformat()[:10] if article.date is not None else None
            record = {"id": article.id, "headline": article.headline, "body": article.body,
                      "dateline": article.dateline,
                      "date": epoch_seconds(article.date) if article.date else None,
                      "year": day[:4] if day else None, "countries": list(article.countries),
                      "topics": list(article.topics)}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            dump += time.perf_counter() - started
            ids.append(article.id)
    return {"path": path, "shard": shard, "ids": ids, "rejected": rejected, "dump": dump}


def task_parse(task: dict) -> dict:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from wiresearch.ingest import PARALLEL_MIN_BYTES

    spool = Path(task["spool"])
    shutil.rmtree(spool, ignore_errors=True)
    spool.mkdir(parents=True)
    files = task["files"]
    jobs = [(path, str(spool / f"{number:06d}.jsonl")) for number, path in enumerate(files)]
    workers = os.cpu_count() or 1
    size = sum(os.path.getsize(path) for path in files)
    started = time.perf_counter()
    # The same rule and start method as wiresearch's own indexing, so that the parse
    # the peers are charged with is the parse wiresearch does.
    if workers > 1 and len(files) > 1 and size >= PARALLEL_MIN_BYTES:
        executor = ProcessPoolExecutor(max_workers=min(workers, len(files)),
                                       mp_context=get_context("spawn"))
        results = executor.map(parse_file, jobs)
    else:
        executor, workers = None, 1
        results = map(parse_file, jobs)
    seen: set[str] = set()
    shards, skip = [], {}
    articles = rejected = duplicated = 0
    dump = 0.0
    for result in results:
        # Indexing keeps the first article with an id and rejects later ones, within a
        # file and across files; the feed skips the same ones.
        duplicates = []
        for line, article_id in enumerate(result["ids"]):
            if article_id in seen:
                duplicates.append(line)
            else:
                seen.add(article_id)
        if duplicates:
            skip[result["shard"]] = duplicates
        shards.append(result["shard"])
        articles += len(result["ids"]) - len(duplicates)
        rejected += result["rejected"]
        duplicated += len(duplicates)
        dump += result["dump"]
    if executor is not None:
        executor.shutdown()
    seconds = time.perf_counter() - started
    manifest = {"shards": shards, "skip": skip, "articles": articles, "rejected": rejected,
                "duplicates": duplicated, "files": len(files), "bytes": size}
    (spool / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"seconds": seconds, "articles": articles, "rejected": rejected,
            "duplicates": duplicated, "workers": workers, "spool_write_cpu_seconds": dump}


class Feed:
    """The spool's articles in corpus order; `seconds` is the time spent reading and
    decoding them, which is taken out of the engine's build time."""

    def __init__(self, spool: Path):
        self.manifest = json.loads((spool / "manifest.json").read_text(encoding="utf-8"))
        self.seconds = 0.0
        self.count = 0

    def __iter__(self) -> Iterator[dict]:
        clock = time.perf_counter
        loads = json.loads
        for shard in self.manifest["shards"]:
            skip = set(self.manifest["skip"].get(shard, ()))
            started = clock()
            with open(shard, encoding="utf-8") as handle:
                for line_number, line in enumerate(handle):
                    if line_number in skip:
                        continue
                    record = loads(line)
                    self.seconds += clock() - started
                    self.count += 1
                    yield record
                    started = clock()
            self.seconds += clock() - started


# Engines: how each builds an index from the feed, and how it answers the workload

def _epoch_datetime(seconds: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)


def build_whoosh_default(path: Path, feed: Iterable[dict]) -> None:
    from whoosh import fields, index
    from whoosh.analysis import StemmingAnalyzer

    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        headline=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
        body=fields.TEXT(analyzer=StemmingAnalyzer(), stored=True),
        country=fields.KEYWORD(stored=True),
        year=fields.ID(stored=True),
        date=fields.DATETIME(stored=True, sortable=True),
    )
    ix = index.create_in(str(path), schema)
    writer = ix.writer()
    for record in feed:
        document = {"id": record["id"], "headline": record["headline"],
                    "body": record["body"], "country": " ".join(record["countries"])}
        if record["date"] is not None:
            document["year"] = record["year"]
            document["date"] = _epoch_datetime(record["date"])
        writer.add_document(**document)
    writer.commit()


REFERENCE_FILTERS = ("ReferenceDropLong", "ReferenceFold", "ReferenceStem")
_SPECIAL_LETTERS = {"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th",
                    "ð": "d", "ı": "i", "ŀ": "l", "ħ": "h"}
_reference_stemmer = None


def _define_reference_filters() -> None:
    """The reference analyzer's filters, as classes of this module: Whoosh pickles the
    analyzer into the index, so they must be found here by name when it is opened.
    They are made on first use so that this module does not import Whoosh (worker
    processes of the shared parse import it)."""
    import unicodedata

    from whoosh.analysis import Filter

    special = str.maketrans(_SPECIAL_LETTERS)

    class ReferenceDropLong(Filter):
        def __call__(self, tokens):
            for token in tokens:
                if len(token.text.encode("utf-8")) < 40:
                    yield token

    class ReferenceFold(Filter):
        def __call__(self, tokens):
            for token in tokens:
                if not token.text.isascii():
                    decomposed = unicodedata.normalize("NFKD", token.text.translate(special))
                    token.text = "".join(ch for ch in decomposed
                                         if not unicodedata.combining(ch))
                yield token

    class ReferenceStem(Filter):
        def __call__(self, tokens):
            global _reference_stemmer
            if _reference_stemmer is None:
                import Stemmer

                _reference_stemmer = Stemmer.Stemmer("english")
            stem = _reference_stemmer.stemWord
            for token in tokens:
                token.text = stem(token.text)
                yield token

    for cls in (ReferenceDropLong, ReferenceFold, ReferenceStem):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
        globals()[cls.__name__] = cls


def __getattr__(name: str):
    # Unpickling the reference index's schema looks the filters up here.
    if name in REFERENCE_FILTERS:
        if name not in globals():
            _define_reference_filters()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def reference_analyzer():
    """wiresearch's analysis (analysis.py) rebuilt from stock Whoosh parts, written here
    rather than imported so that the check does not test the code against itself:
    runs of \\w, lower case, tokens of 40 UTF-8 bytes or more dropped (their positions
    still count), accents folded (NFKD, marks removed, a few letters spelled out),
    PyStemmer's Snowball English stemmer."""
    from whoosh.analysis import LowercaseFilter, RegexTokenizer

    drop_long, fold, stem = (__getattr__(name) for name in REFERENCE_FILTERS)
    return RegexTokenizer(r"\w+") | LowercaseFilter() | drop_long() | fold() | stem()


def build_reference(path: Path, feed: Iterable[dict]) -> None:
    from whoosh import fields, index

    analyzer = reference_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        headline=fields.TEXT(analyzer=analyzer),
        body=fields.TEXT(analyzer=analyzer),
        dateline=fields.TEXT(analyzer=analyzer),
        country=fields.KEYWORD(stored=True),
        year=fields.ID(stored=True),
        date=fields.DATETIME(sortable=True),
    )
    ix = index.create_in(str(path), schema)
    writer = ix.writer()
    for record in feed:
        document = {"id": record["id"], "headline": record["headline"],
                    "body": record["body"], "dateline": record["dateline"],
                    "country": " ".join(record["countries"])}
        if record["date"] is not None:
            document["year"] = record["year"]
            document["date"] = _epoch_datetime(record["date"])
        writer.add_document(**document)
    writer.commit()


SQLITE_FILE = "fts.sqlite"


def build_sqlite(path: Path, feed: Iterable[dict]) -> None:
    import sqlite3

    path.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path / SQLITE_FILE)
    connection.executescript("""
        CREATE TABLE article(rowid INTEGER PRIMARY KEY, id TEXT UNIQUE, date INTEGER,
                             year TEXT);
        CREATE TABLE article_country(article INTEGER, country TEXT,
                                     PRIMARY KEY(article, country)) WITHOUT ROWID;
        CREATE VIRTUAL TABLE fts USING fts5(headline, body, tokenize='porter');
    """)
    with connection:  # one transaction
        for rowid, record in enumerate(feed, start=1):
            connection.execute("INSERT INTO article VALUES (?, ?, ?, ?)",
                               (rowid, record["id"], record["date"], record["year"]))
            connection.execute("INSERT INTO fts(rowid, headline, body) VALUES (?, ?, ?)",
                               (rowid, record["headline"], record["body"]))
            connection.executemany("INSERT OR IGNORE INTO article_country VALUES (?, ?)",
                                   [(rowid, country) for country in record["countries"]])
    connection.close()


def _tantivy_schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("headline", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("country", fast=True, tokenizer_name="raw")
    builder.add_text_field("year", fast=True, tokenizer_name="raw")
    builder.add_integer_field("date", indexed=True, fast=True)
    return builder.build()


def build_tantivy(path: Path, feed: Iterable[dict]) -> None:
    import tantivy

    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_tantivy_schema(), path=str(path))
    writer = index.writer()
    for record in feed:
        document = tantivy.Document()
        document.add_text("id", record["id"])
        document.add_text("headline", record["headline"])
        document.add_text("body", record["body"])
        for country in record["countries"]:
            document.add_text("country", country)
        if record["date"] is not None:
            document.add_text("year", record["year"])
            document.add_integer("date", record["date"])
        writer.add_document(document)
    writer.commit()
    writer.wait_merging_threads()


BUILDERS = {"whoosh-default": build_whoosh_default, "sqlite-fts5": build_sqlite,
            "tantivy": build_tantivy, REFERENCE: build_reference}


class Outcome:
    """What one request found: the total, the ids of the first hits, facet counts."""

    __slots__ = ("total", "ids", "facets")

    def __init__(self, total: int, ids: list[str], facets: dict | None = None):
        self.total, self.ids, self.facets = total, ids, facets


class WiresearchSession:
    def __init__(self, path: Path):
        from wiresearch import Archive

        self.archive = Archive(path)

    def run(self, mode: str, query: str, full: bool = False) -> Outcome:
        if mode == "plain":
            results = self.archive.search(query, limit=TOP)
        elif mode == "facets":
            # The default 10 buckets when timed (counting covers every match either
            # way); all of them when checking counts.
            results = self.archive.search(query, limit=TOP, facets=FACETS,
                                          facet_size=1000 if full else 10)
        else:
            results = self.archive.search(query, limit=TOP, sort="newest")
        facets = {name: {bucket.value: bucket.count for bucket in buckets if bucket.count}
                  for name, buckets in results.facets.items()} if mode == "facets" else None
        return Outcome(results.total, [hit.id for hit in results.hits], facets)

    def close(self) -> None:
        self.archive.close()


class WhooshSession:
    """Stock Whoosh searched the default way: one searcher, MultifieldParser with its
    default AND grouping, search(limit=10) and len(results), groupedby for facets."""

    def __init__(self, path: Path, fields_searched=("headline", "body"), weighting=None):
        from whoosh import index, sorting
        from whoosh.qparser import MultifieldParser

        self.ix = index.open_dir(str(path))
        self.searcher = (self.ix.searcher() if weighting is None
                         else self.ix.searcher(weighting=weighting))
        self.parser = MultifieldParser(list(fields_searched), self.ix.schema)
        # Without allow_overlap Whoosh counts one country per article: articles name
        # several.
        self.facets = sorting.Facets()
        self.facets.add_field("country", allow_overlap=True)
        self.facets.add_field("year")
        self.count = sorting.Count
        self.exact = False

    def query(self, text: str):
        return self.parser.parse(text)

    def run(self, mode: str, query: str, full: bool = False) -> Outcome:
        parsed = self.query(query)
        if mode == "plain" and self.exact:
            collector = self.searcher.collector(limit=TOP, optimize=False)
            collector.replace = 0
            self.searcher.search_with_collector(parsed, collector)
            results = collector.results()
        elif mode == "plain":
            results = self.searcher.search(parsed, limit=TOP)
        elif mode == "facets":
            results = self.searcher.search(parsed, limit=TOP, groupedby=self.facets,
                                           maptype=self.count)
        else:
            results = self.searcher.search(parsed, limit=TOP, sortedby="date", reverse=True)
        total = len(results)
        # With groupedby, Whoosh's results hold every match, ranked, not just `limit`.
        ids = [hit["id"] for hit in islice(results, TOP)]
        facets = None
        if mode == "facets":
            facets = {name: {str(value): count for value, count in
                             results.groups(name).items() if value is not None}
                      for name in FACETS}
        return Outcome(total, ids, facets)

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


class ReferenceSession(WhooshSession):
    """The reference: stock Whoosh searcher over the index built with our analysis,
    asked the query our query language makes of the text: every word (common words
    outside quotes dropped) or quoted phrase in headline, body or dateline, all of them
    required; a typed word that analysis splits ("U.S.") is a phrase."""

    FIELDS = ("headline", "body", "dateline")

    def __init__(self, path: Path, weights: dict[str, float] | None = None, weighting=None,
                 proximity: bool = False, bm25f: tuple[float, float] | None = None):
        import re

        from whoosh import query as whoosh_query

        from wiresearch.analysis import STOP_WORDS

        super().__init__(path, self.FIELDS, weighting)
        self.weights = weights or dict.fromkeys(self.FIELDS, 1.0)
        self.proximity = proximity
        # (K1, B): a word is scored once over the fields, as wiresearch's ranking does.
        self.bm25f = bm25f
        # Whoosh's top-10 shortcuts (skipping blocks by quality, replacing matchers as
        # they run out) can drop a sloppy phrase's share of a score inside an OR and
        # leave out a hit that belongs in the top 10: score every match in full instead.
        self.exact = proximity
        self.q = whoosh_query
        self.analyzer = reference_analyzer()
        self.stop_words = STOP_WORDS
        self.parts = re.compile(r'"([^"]*)"|(\S+)')
        self.word = re.compile(r"\w+")

    def query(self, text: str):
        q = self.q
        clauses = []
        # Per clause, its word when it is one plain word that may join its neighbour,
        # and whether it follows the one before (a common word dropped between two
        # words parts them).
        joinable: list[str | None] = []
        follows: list[bool] = []
        parted = False
        self.compounds = 0
        parts = [(phrase, word) for phrase, word in self.parts.findall(text)]
        only_stop_words = all(not phrase and all(w.lower() in self.stop_words
                                                 for w in self.word.findall(word))
                              for phrase, word in parts)
        for phrase, word in parts:
            words = [w.lower() for w in self.word.findall(word)]
            if word and not only_stop_words and len(words) == 1 and \
                    words[0] in self.stop_words:
                parted = True
                continue
            terms = [token.text for token in self.analyzer(phrase or word)]
            if not terms:
                parted = True
                continue
            follows.append(not parted)
            parted = False
            if len(terms) == 1:
                clauses.append(self._word(terms[0]))
            else:
                clauses.append(q.Or([q.Phrase(name, terms, boost=self.weights[name])
                                     for name in self.FIELDS]))
                # A hyphenated word is also the word without its hyphens.
                if word and word.replace("-", "").isalpha() and all(
                        map(self._joinable, words)):
                    compound = self._compound(words)
                    if compound is not None:
                        clauses[-1] = q.Or([clauses[-1], compound])
            joinable.append(words[0] if not phrase and len(words) == 1 and word.isalpha()
                            and self._joinable(words[0]) else None)
        if not clauses:
            return q.Every()
        # Two neighbouring plain words also match the word they make, in their place.
        alternatives = []
        for at in range(len(clauses) - 1):
            if joinable[at] and joinable[at + 1] and follows[at + 1]:
                compound = self._compound(joinable[at:at + 2])
                if compound is not None:
                    alternatives.append([*clauses[:at], compound, *clauses[at + 2:]])
        if alternatives:
            # wiresearch adds each pair's proximity bonus once, to whatever matches.
            matching = q.Or([self._all(clauses), *map(self._all, alternatives)])
            if not self.proximity:
                return matching
            bonus = [phrase for _at, phrases in self._proximity(clauses) for phrase in phrases]
            return q.AndMaybe(matching, q.Or(bonus)) if bonus else matching
        if self.proximity:
            clauses = self._with_proximity(clauses)
        return self._all(clauses)

    def _all(self, clauses: list):
        return clauses[0] if len(clauses) == 1 else self.q.And(clauses)

    def _word(self, term: str, factor: float = 1.0):
        """One term in every field, with the field weights (times `factor`)."""
        if self.bm25f:
            from bm25f_reference import WordInFields

            return WordInFields(term, self.weights, self.searcher, *self.bm25f, factor=factor)
        return self.q.Or([self.q.Term(name, term, boost=self.weights[name] * factor)
                          for name in self.FIELDS])

    def _joinable(self, word: str) -> bool:
        return len(word) >= 2 and word.isalpha() and word not in self.stop_words

    def _compound(self, words: list[str]):
        """The words written as one (README, "Query language"), weighing as many words
        as it joins; None when no headline or body holds it, or the query has 4."""
        if self.compounds >= 4:
            return None
        terms = [token.text for token in self.analyzer("".join(words))]
        if len(terms) != 1 or not any(self.searcher.doc_frequency(name, terms[0])
                                      for name in ("headline", "body")):
            return None
        self.compounds += 1
        return self._word(terms[0], len(words))

    def _with_proximity(self, clauses: list) -> list:
        """wiresearch's proximity bonus (ranking.with_proximity), spelled in Whoosh: a
        clause of one word followed by another such clause also matches, for score
        only, the two words within PROXIMITY_SLOP words in headline or body."""
        result = list(clauses)
        for at, phrases in self._proximity(clauses):
            result[at] = self.q.Or([clauses[at], *phrases])
        return result

    def _proximity(self, clauses: list) -> list:
        """(position, the bonus's phrases) of each clause of one word followed by
        another such clause."""
        from wiresearch.ranking import PROXIMITY_FIELDS, PROXIMITY_SLOP, PROXIMITY_WEIGHT

        q = self.q
        words = [clause.text if hasattr(clause, "weights")
                 else clause.subqueries[0].text if isinstance(clause.subqueries[0], q.Term)
                 else None for clause in clauses]
        found = []
        seen = set()
        for i in range(len(clauses) - 1):
            first, second = words[i], words[i + 1]
            if first is None or second is None or first == second or (first, second) in seen:
                continue  # ranking.with_proximity counts a repeated pair once
            seen.add((first, second))
            # Whoosh's slop counts the step to the next word (1 = adjacent).
            found.append((i, [q.Phrase(name, [first, second], slop=PROXIMITY_SLOP + 1,
                                       boost=self.weights[name] * PROXIMITY_WEIGHT)
                              for name in PROXIMITY_FIELDS]))
        return found


def fts5_query(text: str) -> str:
    """Words and phrases as FTS5 strings (quoted, so that punctuation and FTS5's own
    operators in them are plain text); FTS5 requires all of them by default."""
    import re

    parts = re.findall(r'"([^"]*)"|(\S+)', text)
    return " ".join('"' + (phrase or word).replace('"', '""') + '"' for phrase, word in parts)


class SqliteSession:
    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(path / SQLITE_FILE)

    def run(self, mode: str, query: str, full: bool = False) -> Outcome:
        match = fts5_query(query)
        db = self.db
        total = db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)).fetchone()[0]
        if mode == "newest":
            rows = db.execute(
                "SELECT a.id, f.headline FROM fts AS f JOIN article AS a ON a.rowid = f.rowid "
                "WHERE fts MATCH ? ORDER BY a.date DESC LIMIT ?", (match, TOP)).fetchall()
        else:
            # rank is bm25() for an FTS5 table, and the form FTS5 sorts fastest.
            rows = db.execute(
                "SELECT a.id, m.headline FROM (SELECT rowid, headline, rank FROM fts "
                "WHERE fts MATCH ? ORDER BY rank LIMIT ?) AS m "
                "JOIN article AS a ON a.rowid = m.rowid ORDER BY m.rank",
                (match, TOP)).fetchall()
        facets = None
        if mode == "facets":
            countries = db.execute(
                "SELECT c.country, count(*) FROM fts JOIN article_country AS c "
                "ON c.article = fts.rowid WHERE fts MATCH ? GROUP BY c.country",
                (match,)).fetchall()
            years = db.execute(
                "SELECT a.year, count(*) FROM fts JOIN article AS a ON a.rowid = fts.rowid "
                "WHERE fts MATCH ? AND a.year IS NOT NULL GROUP BY a.year",
                (match,)).fetchall()
            facets = {"country": dict(countries), "year": dict(years)}
        return Outcome(total, [row[0] for row in rows], facets)

    def close(self) -> None:
        self.db.close()


class TantivySession:
    def __init__(self, path: Path):
        import tantivy

        self.tantivy = tantivy
        self.index = tantivy.Index.open(str(path))
        self.searcher = self.index.searcher()
        self.aggregation = {name: {"terms": {"field": name, "size": 1000}} for name in FACETS}

    def run(self, mode: str, query: str, full: bool = False) -> Outcome:
        # AND between words, as every other engine here does (tantivy's default is OR).
        parsed = self.index.parse_query(query, ["headline", "body"],
                                        conjunction_by_default=True)
        searcher = self.searcher
        if mode == "newest":
            result = searcher.search(parsed, TOP, count=True, order_by_field="date",
                                     order=self.tantivy.Order.Desc)
        else:
            result = searcher.search(parsed, TOP, count=True)
        ids = [searcher.doc(address)["id"][0] for _key, address in result.hits]
        facets = None
        if mode == "facets":
            found = searcher.aggregate(parsed, self.aggregation)
            facets = {name: {bucket["key"]: bucket["doc_count"]
                             for bucket in found[name]["buckets"]} for name in FACETS}
        return Outcome(result.count, ids, facets)

    def close(self) -> None:
        self.searcher = None


def weighted_reference(path: Path) -> ReferenceSession:
    """The reference given wiresearch's ranking choices: its field weights, BM25F over
    fields, idf, BM25 parameters and proximity bonus, so that only a difference beyond
    them shows."""
    from bm25f_reference import Weighting

    from wiresearch.ranking import BM25_B, BM25_K1, FIELD_WEIGHTS

    return ReferenceSession(path, FIELD_WEIGHTS, Weighting(B=BM25_B, K1=BM25_K1),
                            proximity=True, bm25f=(BM25_K1, BM25_B))


SESSIONS = {"wiresearch": WiresearchSession, "wiresearch-tantivy": WiresearchSession,
            "whoosh-default": WhooshSession, "sqlite-fts5": SqliteSession,
            "tantivy": TantivySession, REFERENCE: ReferenceSession,
            REFERENCE_WEIGHTED: weighted_reference}


# Child tasks

def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def task_build(task: dict) -> dict:
    engine, path = task["engine"], Path(task["index"])
    shutil.rmtree(path, ignore_errors=True)
    if engine in WIRESEARCH_ENGINES:
        from wiresearch import Archive

        started = time.perf_counter()
        with Archive(path) as archive:
            report = archive.index([task["corpus"]], engine=WIRESEARCH_ENGINES[engine])
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "feed_seconds": 0.0, "articles": report.added,
                "rejected": len(report.rejected), "index_bytes": _size(path)}
    feed = Feed(Path(task["spool"]))
    path.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    BUILDERS[engine](path, feed)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "feed_seconds": feed.seconds, "articles": feed.count,
            "index_bytes": _size(path)}


def task_queries(task: dict) -> dict:
    """Warm-up pass, then `repeat` timed passes of each mode, round-robin over the
    queries; then, untimed, what each query finds (for the checks)."""
    engine, path = task["engine"], Path(task["index"])
    queries, repeat = task["queries"], task["repeat"]
    clock = time.perf_counter
    started = clock()
    session = SESSIONS[engine](path)
    opened = clock() - started
    samples: dict[str, dict[str, list[float]]] = {mode: {q: [] for q in queries}
                                                  for mode in MODES}
    errors: dict[str, str] = {}
    first = None
    if repeat:
        for mode in MODES:
            for rep in range(repeat + 1):
                for query in queries:
                    if query in errors:
                        continue
                    begun = clock()
                    try:
                        session.run(mode, query)
                    except Exception as error:  # an engine that cannot run a query
                        errors[query] = f"{type(error).__name__}: {error}"
                        continue
                    elapsed = clock() - begun
                    if first is None:
                        first = opened + elapsed
                    if rep:  # pass 0 warms up
                        samples[mode][query].append(elapsed)
    found = {}
    for query in queries:
        if query in errors:
            continue
        try:
            faceted = session.run("facets", query, full=True)
            newest = session.run("newest", query)
        except Exception as error:
            errors[query] = f"{type(error).__name__}: {error}"
            continue
        found[query] = {"total": faceted.total, "top": faceted.ids,
                        "facets": faceted.facets, "newest": newest.ids,
                        "newest_total": newest.total}
    session.close()
    return {"samples": samples, "found": found, "errors": errors,
            "first_query_seconds": first}


def reuters_increment(corpus: Path, files: list[str], held_files: int,
                      folder: Path) -> Path | None:
    """A copy of a Reuters SGML corpus in `folder` whose last INCREMENT of records is a
    file of its own, `increment.sgm`, returned but not yet in the folder; None when the
    corpus does not end in .sgm files, or when its last `held_files` whole files
    already hold at most 1.5 times INCREMENT of its records (the synthetic archives' do:
    2 of 200 files). Reuters-21578's last file holds 2.7% of its stories, and timing
    that would measure another increment than the one the target names."""
    if not files or not all(name.endswith(".sgm") for name in files[-held_files:]):
        return None
    sizes = [os.path.getsize(name) for name in files]
    if sum(sizes[-held_files:]) <= 1.5 * INCREMENT * sum(sizes):
        return None  # decided without reading a large corpus through
    records = [REUTERS_RECORD.findall(Path(name).read_bytes()) if name.endswith(".sgm")
               else [] for name in files]
    total = sum(map(len, records))
    if sum(map(len, records[-held_files:])) <= 1.5 * INCREMENT * total:
        return None
    held = max(1, round(total * INCREMENT))
    if held >= len(records[-1]):
        return None
    shutil.rmtree(folder, ignore_errors=True)
    root = corpus.resolve()
    copies = [folder / Path(name).relative_to(root) for name in files]
    for name, copy in zip(files[:-1], copies, strict=False):
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(name, copy)
    last = records[-1]
    copies[-1].parent.mkdir(parents=True, exist_ok=True)
    copies[-1].write_bytes(b"\n".join(last[:-held]) + b"\n")
    increment = folder.parent / "increment.sgm"
    increment.write_bytes(b"\n".join(last[-held:]) + b"\n")
    return increment


def task_incremental(task: dict) -> dict:
    """Index all but the last INCREMENT of the corpus, then time adding it
    (Archive.index over the whole corpus, as the nightly run does): one warm-up run,
    then `repeat` timed ones, each on a fresh copy of the same starting index. The
    increment is the last files, or the last records of a Reuters corpus whose last
    file is larger than that (reuters_increment)."""
    from wiresearch import Archive

    engine = WIRESEARCH_ENGINES[task["engine"]]
    root = Path(task["work"])
    shutil.rmtree(root, ignore_errors=True)
    base, current = root / "base", root / "run"
    corpus = root / "corpus"
    increment = reuters_increment(Path(task["corpus"]), task["files"], task["held"], corpus)
    if increment is None:
        corpus = Path(task["corpus"])
        kept = task["files"][:len(task["files"]) - task["held"]]
    else:
        kept = [corpus]
    started = time.perf_counter()
    with Archive(base) as archive:
        first = archive.index(kept, engine=engine)
    base_seconds = time.perf_counter() - started
    if increment is not None:
        increment.rename(corpus / increment.name)
    times, added = [], []
    for rep in range(task["repeat"] + 1):
        shutil.rmtree(current, ignore_errors=True)
        shutil.copytree(base, current, symlinks=True)
        started = time.perf_counter()
        with Archive(current) as archive:
            report = archive.index([corpus])
        elapsed = time.perf_counter() - started
        added.append(report.added)
        if rep:
            times.append(elapsed)
    return {"seconds": times, "base_seconds": base_seconds, "base_articles": first.added,
            "added": added[-1], "unchanged": report.unchanged,
            "files_unchanged": report.files_unchanged,
            "held_records": increment is not None}


CHILD_TASKS = {"parse": task_parse, "build": task_build, "queries": task_queries,
               "incremental": task_incremental}


# Statistics

def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def speed_ratio(baseline_seconds: float | None, seconds: float | None) -> float | None:
    """How many times faster than the baseline (above 1: faster)."""
    if not baseline_seconds or not seconds:
        return None
    return baseline_seconds / seconds


# The run

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Benchmark:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.corpus = args.corpus.resolve()
        self.work = args.work.resolve()
        self.engines = args.engines
        self.notes: list[str] = []
        self.failed: dict[str, str] = {}
        self.data: dict = {"engines": {engine: {} for engine in self.engines}}

    def child(self, task: dict) -> dict:
        return run_child(task, self.work)

    def index_path(self, engine: str) -> Path:
        return self.work / "index" / engine

    def live(self) -> list[str]:
        return [engine for engine in self.engines if engine not in self.failed]

    def fail(self, engine: str, what: str, error: Exception) -> None:
        self.failed[engine] = f"{what} failed: {error}"
        log(f"  {engine}: {what} failed, skipped: {error}")

    def run(self) -> dict:
        args = self.args
        self.files = corpus_files(self.corpus)
        if not self.files:
            raise SystemExit(f"no files to index in {self.corpus}")
        tasks = self.work / "tasks"
        shutil.rmtree(tasks, ignore_errors=True)
        self.data.update({
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "machine": machine_info(), "software": software_info(),
            "corpus": {"path": str(self.corpus), "files": len(self.files),
                       "bytes": sum(os.path.getsize(p) for p in self.files)},
            "settings": {"repeat": args.repeat, "build_repeat": args.build_repeat,
                         "engines": self.engines, "baseline": BASELINE,
                         "queries": list(QUERIES), "cli_queries": list(CLI_QUERIES),
                         "check": args.check},
        })
        self.builds()
        if args.check:
            self.reference()
        self.queries()
        self.cli()
        self.incremental()
        self.data["notes"] = self.notes
        self.data["failed"] = self.failed
        self.data["summary"] = summarize(self.data)
        self.data["checks"] = checks(self.data) if args.check else None
        return self.data

    def builds(self) -> None:
        spool = self.work / "spool"
        parses = []
        for rep in range(self.args.build_repeat):
            log(f"[build {rep + 1}/{self.args.build_repeat}] shared parse of "
                f"{len(self.files)} files")
            parse = self.child({"kind": "parse", "files": self.files, "spool": str(spool)})
            parses.append(parse)
            log(f"  parse: {parse['articles']:,} articles in {parse['seconds']:.1f}s")
            for engine in self.live():
                task = {"kind": "build", "engine": engine, "corpus": str(self.corpus),
                        "spool": str(spool), "index": str(self.index_path(engine))}
                try:
                    result = self.child(task)
                except ChildFailed as error:
                    self.fail(engine, "build", error)
                    continue
                self.data["engines"][engine].setdefault("builds", []).append(result)
                log(f"  {engine}: {result['articles']:,} articles in "
                    f"{result['seconds']:.1f}s")
                if result["articles"] != parse["articles"]:
                    self.notes.append(
                        f"{engine} indexed {result['articles']:,} articles, the shared "
                        f"parse found {parse['articles']:,}")
        self.data["parse"] = parses
        self.data["corpus"]["articles"] = parses[-1]["articles"]
        self.data["corpus"]["rejected"] = parses[-1]["rejected"]
        self.data["corpus"]["duplicates"] = parses[-1]["duplicates"]

    def reference(self) -> None:
        log("[check] reference Whoosh index with our analysis")
        path = self.work / "index" / REFERENCE
        try:
            built = self.child({"kind": "build", "engine": REFERENCE,
                                "spool": str(self.work / "spool"), "index": str(path)})
            found = self.child({"kind": "queries", "engine": REFERENCE, "index": str(path),
                                "queries": list(QUERIES), "repeat": 0})
            weighted = self.child({"kind": "queries", "engine": REFERENCE_WEIGHTED,
                                   "index": str(path), "queries": list(QUERIES),
                                   "repeat": 0})
        except ChildFailed as error:
            self.notes.append(f"the reference index failed, nothing was checked: {error}")
            self.args.check = False
            return
        self.data["reference"] = {"build": built, "found": found["found"],
                                  "weighted_found": weighted["found"],
                                  "errors": found["errors"]}
        for query, error in found["errors"].items():
            self.notes.append(f"the reference could not run {query}: {error}")

    def queries(self) -> None:
        for engine in self.live():
            log(f"[queries] {engine}: {len(QUERIES)} queries x {len(MODES)} modes x "
                f"{self.args.repeat} (+1 warm-up)")
            try:
                result = self.child({"kind": "queries", "engine": engine,
                                     "index": str(self.index_path(engine)),
                                     "queries": list(QUERIES), "repeat": self.args.repeat})
            except ChildFailed as error:
                self.fail(engine, "queries", error)
                continue
            self.data["engines"][engine]["queries"] = result
            for query, error in result["errors"].items():
                self.notes.append(f"{engine} could not run {query}: {error}")

    def _time_command(self, command: list[str]) -> list[float]:
        # As on a user's machine, where pip has compiled the package: Python may keep
        # the bytecode it compiles in the warm-up (an environment that forbids it makes
        # every run compile wiresearch's modules again, about 25 ms here).
        env = {name: value for name, value in os.environ.items()
               if name != "PYTHONDONTWRITEBYTECODE"}
        times = []
        for rep in range(self.args.repeat + 1):
            started = time.perf_counter()
            completed = subprocess.run(command, capture_output=True, env=env)
            elapsed = time.perf_counter() - started
            if completed.returncode != 0:
                message = completed.stderr.decode(errors="replace").strip()
                raise ChildFailed(message or f"exit {completed.returncode}")
            if rep:
                times.append(elapsed)
        return times

    def cli(self) -> None:
        script = Path(sys.executable).parent / "wiresearch"
        base = [str(script)] if script.exists() else [
            sys.executable, "-c", "import sys; from wiresearch.cli import main; "
            "sys.exit(main())"]
        log("[cli] python -c pass, wiresearch search --json")
        commands = {"python": self._time_command([sys.executable, "-c", "pass"])}
        for engine in [e for e in self.live() if e in WIRESEARCH_ENGINES]:
            per_query = {}
            try:
                for query in CLI_QUERIES:
                    per_query[query] = self._time_command(
                        [*base, "--index", str(self.index_path(engine)), "search", query,
                         "--json"])
            except ChildFailed as error:
                self.notes.append(f"`wiresearch search` on the {engine} index failed: "
                                  f"{error}")
                continue
            commands[engine] = per_query
        self.data["cli"] = commands

    def incremental(self) -> None:
        held = max(1, round(len(self.files) * INCREMENT))
        if len(self.files) < 2:
            self.notes.append("the incremental run needs a corpus of two files or more")
            return
        for engine in [e for e in self.live() if e in WIRESEARCH_ENGINES]:
            log(f"[incremental] {engine}: {len(self.files) - held} files, then {held} more")
            try:
                result = self.child({"kind": "incremental", "engine": engine,
                                     "corpus": str(self.corpus), "files": self.files,
                                     "held": held, "repeat": self.args.repeat,
                                     "work": str(self.work / "incremental" / engine)})
            except ChildFailed as error:
                self.notes.append(f"{engine} incremental run failed: {error}")
                continue
            result["held_files"] = held
            self.data["engines"][engine]["incremental"] = result


def summarize(data: dict) -> dict:
    """Medians, percentiles and ratios of the raw figures."""
    parse_seconds = median([p["seconds"] for p in data["parse"]])
    articles = data["corpus"]["articles"]
    summary: dict = {"parse": {"seconds": parse_seconds,
                               "articles_per_second": articles / parse_seconds
                               if parse_seconds else None,
                               "workers": data["parse"][-1]["workers"],
                               "rss": max(p["maxrss"] for p in data["parse"]),
                               "tree_rss": max(max(p["tree_peak_rss"], p["maxrss"])
                                               for p in data["parse"])},
                     "engines": {}}
    for engine, figures in data["engines"].items():
        builds = figures.get("builds")
        if not builds:
            continue
        own = {}
        wall = median([b["seconds"] for b in builds])
        if engine in WIRESEARCH_ENGINES:
            index_only, end_to_end = None, wall
        else:
            index_only = median([b["seconds"] - b["feed_seconds"] for b in builds])
            end_to_end = index_only + parse_seconds
        own["build"] = {
            "index_only_seconds": index_only, "end_to_end_seconds": end_to_end,
            "feed_seconds": median([b["feed_seconds"] for b in builds]),
            "index_only_rate": articles / index_only if index_only else None,
            "end_to_end_rate": articles / end_to_end if end_to_end else None,
            "maxrss": max(b["maxrss"] for b in builds),
            "workers_maxrss": max(b["workers_maxrss"] for b in builds),
            # A build shorter than the sampling interval may not be sampled at all.
            "tree_peak_rss": max(max(b["tree_peak_rss"], b["maxrss"]) for b in builds),
            "index_bytes": builds[-1]["index_bytes"], "repetitions": len(builds)}
        queries = figures.get("queries")
        if queries:
            own["queries"] = {}
            for mode in MODES:
                per_query = {q: median(s) for q, s in queries["samples"][mode].items() if s}
                every = [t for s in queries["samples"][mode].values() for t in s]
                own["queries"][mode] = {"median": median(every), "p95": percentile(every, 0.95),
                                        "per_query": per_query}
            own["queries"]["first_query_seconds"] = queries["first_query_seconds"]
            own["queries"]["rss"] = queries["maxrss"]
        incremental = figures.get("incremental")
        if incremental:
            seconds = median(incremental["seconds"])
            own["incremental"] = {
                "seconds": seconds, "full_seconds": end_to_end,
                "fraction_of_full": seconds / end_to_end if end_to_end else None,
                "held_files": incremental["held_files"], "added": incremental["added"],
                "held_records": incremental.get("held_records", False),
                "held_share": incremental["added"] / articles if articles else None}
        summary["engines"][engine] = own
    base = summary["engines"].get(BASELINE, {})
    for own in summary["engines"].values():
        ratios = {}
        if "build" in own and "build" in base:
            ratios["build_end_to_end"] = speed_ratio(base["build"]["end_to_end_seconds"],
                                                     own["build"]["end_to_end_seconds"])
            ratios["build_index_only"] = speed_ratio(base["build"]["index_only_seconds"],
                                                     own["build"]["index_only_seconds"])
        if "queries" in own and "queries" in base:
            for mode in MODES:
                ratios[mode] = speed_ratio(base["queries"][mode]["median"],
                                           own["queries"][mode]["median"])
                ratios[mode + "_p95"] = speed_ratio(base["queries"][mode]["p95"],
                                                    own["queries"][mode]["p95"])
        own["vs_baseline"] = ratios
    cli = data.get("cli") or {}
    if cli:
        summary["cli"] = {"python": median(cli["python"])}
        for engine, per_query in cli.items():
            if engine == "python":
                continue
            every = [t for times in per_query.values() for t in times]
            summary["cli"][engine] = {"median": median(every),
                                      "per_query": {q: median(t) for q, t in per_query.items()}}
    return summary


def _facet_diff(ours: dict, theirs: dict) -> list[str]:
    differences = []
    for value in sorted(set(ours) | set(theirs)):
        if ours.get(value, 0) != theirs.get(value, 0):
            differences.append(f"{value}: {ours.get(value, 0)} vs {theirs.get(value, 0)}")
    return differences


def compare(ours: dict, theirs: dict, same_order: bool) -> dict:
    """Query by query: totals, facet counts and top 10 of two engines."""
    result = {"queries": 0, "totals_equal": 0, "facets_equal": {f: 0 for f in FACETS},
              "top_identical": 0, "overlap": [], "newest_identical": 0, "differences": []}
    for query, mine in ours.items():
        other = theirs.get(query)
        if other is None:
            continue
        result["queries"] += 1
        if mine["total"] == other["total"]:
            result["totals_equal"] += 1
        else:
            result["differences"].append(f"{query}: total {mine['total']} vs {other['total']}")
        for name in FACETS:
            differences = _facet_diff(mine["facets"][name], other["facets"][name])
            if differences:
                result["differences"].append(f"{query}: {name} facet " + "; ".join(
                    differences[:5]) + (" ..." if len(differences) > 5 else ""))
            else:
                result["facets_equal"][name] += 1
        result["top_identical"] += mine["top"] == other["top"]
        if mine["top"] or other["top"]:
            shared = len(set(mine["top"]) & set(other["top"]))
            result["overlap"].append(shared / max(len(mine["top"]), len(other["top"])))
        if same_order:
            result["newest_identical"] += mine["newest"] == other["newest"]
    result["mean_overlap"] = statistics.mean(result["overlap"]) if result["overlap"] else None
    return result


def checks(data: dict) -> dict | None:
    found = {engine: figures["queries"]["found"]
             for engine, figures in data["engines"].items() if figures.get("queries")}
    result = {}
    reference = (data.get("reference") or {}).get("found")
    weighted = (data.get("reference") or {}).get("weighted_found")
    for engine in WIRESEARCH_ENGINES:
        if reference and engine in found:
            key = engine.replace("-", "_")
            result[f"{key}_vs_reference"] = compare(found[engine], reference, False)
            if weighted:
                result[f"{key}_vs_reference"]["weighted_top_identical"] = compare(
                    found[engine], weighted, False)["top_identical"]
    if "wiresearch" in found and "wiresearch-tantivy" in found:
        result["wiresearch_vs_tantivy_engine"] = compare(found["wiresearch"],
                                                         found["wiresearch-tantivy"], True)
    return result


# The report

def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _s(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _mb(value: int | None) -> str:
    return "-" if not value else f"{value / 2**20:,.0f}"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Columns padded to their widest cell; the first `left` columns flush left."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(cell).ljust(width) if i < left else str(cell).rjust(width)
                         for i, (cell, width) in enumerate(zip(cells, widths, strict=True)))

    return [line(header), line(["-" * width for width in widths]),
            *[line(row) for row in rows]]


def report(data: dict) -> str:
    summary = data["summary"]
    machine, software = data["machine"], data["software"]
    settings = data["settings"]
    corpus = data["corpus"]
    engines = summary["engines"]
    out = [f"wiresearch benchmark, {data['date']}",
           f"machine   {machine['cpu']}, {machine['cores']} cores "
           f"({machine['usable_cores']} usable), "
           f"{(machine['memory_bytes'] or 0) / 2**30:.1f} GiB RAM, {machine['os']}, "
           f"load {machine['load_average'][0]:.2f} at start",
           f"python    {machine['implementation']} {machine['python']}; wiresearch "
           f"{software['wiresearch']} ({software['git']}), Whoosh-Reloaded "
           f"{software['Whoosh-Reloaded']}, tantivy {software['tantivy']}, SQLite "
           f"{software['sqlite']}",
           f"corpus    {corpus['path']}: {corpus['files']:,} files, "
           f"{corpus['bytes'] / 2**20:,.1f} MiB, {corpus['articles']:,} articles"
           + (f"; {corpus['rejected']:,} records unreadable" if corpus.get("rejected")
              else "")
           + (f"; {corpus['duplicates']:,} repeated ids left out, as indexing does"
              if corpus.get("duplicates") else ""),
           f"figures   medians of {settings['repeat']} timed repetitions after a warm-up "
           f"(builds: {settings['build_repeat']} each, no warm-up); 'x base' = how many "
           f"times faster than {BASELINE} (above 1: faster), measured in this run", ""]

    parse = summary["parse"]
    out.append("BUILD  (index-only: the engine fed pre-parsed articles; end to end: from "
               "the files, i.e. index-only + the shared parse for the engines fed by it)")
    rows = [["shared parse (wiresearch readers, "
             f"{parse['workers']} process{'es' if parse['workers'] > 1 else ''})", "-", "-",
             "-", _s(parse["seconds"]), _rate(parse["articles_per_second"]), "-",
             _mb(parse["rss"]), _mb(parse["tree_rss"]), "-"]]
    for engine, own in engines.items():
        build = own.get("build")
        if not build:
            continue
        label = f"{engine} (Archive.index, from files)" if engine in WIRESEARCH_ENGINES \
            else engine
        rows.append([label, _s(build["index_only_seconds"]), _rate(build["index_only_rate"]),
                     _ratio(own["vs_baseline"].get("build_index_only")),
                     _s(build["end_to_end_seconds"]), _rate(build["end_to_end_rate"]),
                     _ratio(own["vs_baseline"].get("build_end_to_end")),
                     _mb(build["maxrss"]), _mb(build["tree_peak_rss"]),
                     _mb(build["index_bytes"])])
    out += _table(["engine", "index s", "art/s", "x base", "end-to-end s", "art/s", "x base",
                   "RSS MB", "tree MB", "index MB"], rows)
    out.append("  RSS MB: peak resident memory of the building process; tree MB: peak of "
               "it and its worker processes together (sampled).")
    out.append("")

    out.append("QUERIES  (ms per request: median and 95th percentile over "
               f"{len(settings['queries'])} queries x {settings['repeat']} repetitions)")
    rows = []
    for engine, own in engines.items():
        queries = own.get("queries")
        if not queries:
            continue
        row = [engine]
        for mode in MODES:
            row += [_ms(queries[mode]["median"]), _ms(queries[mode]["p95"]),
                    _ratio(own["vs_baseline"].get(mode))]
        row += [_ms(queries["first_query_seconds"]), _mb(queries["rss"])]
        rows.append(row)
    header = ["engine"]
    for mode in MODES:
        header += [f"{mode} med", "p95", "x base"]
    out += _table(header + ["cold 1st", "RSS MB"], rows)
    out.append("  plain: " + MODE_TITLES["plain"] + "; facets: " + MODE_TITLES["facets"]
               + " over all matches; newest: top 10 by date, newest first, + total. "
               "cold 1st: open + first query.")
    out.append("  wiresearch's figures include its query language, the proximity bonus "
               "and, below 5 hits, a spelling suggestion; every engine reads the id of "
               "each hit (wiresearch makes a hit's snippet when it is read: the command "
               "line's figures include them).")
    out.append("")

    out.append("PER QUERY  (plain mode, median ms; hits in brackets)")
    found = {engine: figures["queries"]["found"]
             for engine, figures in data["engines"].items() if figures.get("queries")}
    shown = [engine for engine in engines if engines[engine].get("queries")]
    rows = []
    for query in settings["queries"]:
        row = [query]
        for engine in shown:
            median_s = engines[engine]["queries"]["plain"]["per_query"].get(query)
            total = found[engine].get(query, {}).get("total")
            row.append(f"{_ms(median_s)} ({'-' if total is None else total})")
        rows.append(row)
    out += _table(["query", *shown], rows)
    out.append("  Hit counts differ between engines with different analysis (stop words, "
               "stemmers, fields); see CHECKS for the ones that must agree.")
    out.append("")

    cli = summary.get("cli")
    if cli:
        out.append("COMMAND LINE  (wall time of a whole process, median s)")
        rows = [["python -c pass", _s(cli["python"]), "-"]]
        for engine, figures in cli.items():
            if engine == "python":
                continue
            rows.append([f"wiresearch search QUERY --json ({engine} index)",
                         _s(figures["median"]), _s(figures["median"] - cli["python"])])
        out += _table(["command", "median s", "minus python"], rows)
        out.append(f"  QUERY: each of {', '.join(settings['cli_queries'])}. Bytecode is "
                   "cached after the warm-up, as after a pip install.")
        out.append("")

    rows = []
    for engine, own in engines.items():
        incremental = own.get("incremental")
        if incremental:
            added = ("1 file, the last records of the last" if incremental["held_records"]
                     else f"{incremental['held_files']}")
            rows.append([engine, _s(incremental["full_seconds"]), _s(incremental["seconds"]),
                         f"{added} ({incremental['added']:,} art, "
                         f"{(incremental['held_share'] or 0) * 100:.1f}%)",
                         f"{(incremental['fraction_of_full'] or 0) * 100:.1f}%"])
    if rows:
        out.append(f"INCREMENTAL  (index all but the last {INCREMENT:.0%} of the articles, "
                   "then time Archive.index over the whole corpus adding them)")
        out += _table(["engine", "full build s", "adding s", "files added",
                       "cost / full build"], rows)
        out.append("")

    result = data.get("checks")
    if result is not None and not result:
        out += ["CHECKS", "  nothing was compared (see NOTES)", ""]
    if result:
        from wiresearch.ranking import BM25_B, BM25_K1, FIELD_WEIGHTS

        out.append("CHECKS")
        for key, title in (
                ("wiresearch_vs_reference", "wiresearch vs reference (stock Whoosh, our "
                 "analysis, headline+body+dateline)"),
                ("wiresearch_tantivy_vs_reference", "wiresearch-tantivy vs reference"),
                ("wiresearch_vs_tantivy_engine", "wiresearch vs wiresearch-tantivy")):
            compared = result.get(key)
            if not compared:
                continue
            n = compared["queries"]
            facets = ", ".join(f"{name} facet {compared['facets_equal'][name]}/{n}"
                               for name in FACETS)
            out.append(f"  {title}: totals equal {compared['totals_equal']}/{n}, {facets}; "
                       f"top 10 identical {compared['top_identical']}/{n}, mean overlap "
                       f"{(compared['mean_overlap'] or 0) * 10:.1f}/10"
                       + (f"; newest top 10 identical {compared['newest_identical']}/{n}"
                          if key == "wiresearch_vs_tantivy_engine" else ""))
            for difference in compared["differences"]:
                out.append(f"    DIFFERENCE {difference}")
            if key != "wiresearch_vs_tantivy_engine" and compared["top_identical"] < n:
                weights = ", ".join(f"{k} {v}" for k, v in FIELD_WEIGHTS.items())
                line = (f"    top 10 differs in {n - compared['top_identical']} queries: "
                        f"expected, it comes from wiresearch's ranking choices (field "
                        f"weights {weights}, each word scored once over the fields, "
                        f"BM25's idf, K1 {BM25_K1} B {BM25_B}, proximity bonus, in "
                        f"wiresearch/ranking.py) against Whoosh's default BM25F, a "
                        f"score per field with equal weights")
                same = compared.get("weighted_top_identical")
                if same is not None:
                    line += (f"; given those choices the reference's top 10 is identical "
                             f"in {same}/{n}")
                    if same < n:
                        line += (f", the other {n - same} rank differently beyond the "
                                 f"weights" + (" (this engine scores with tantivy's own "
                                               "BM25)" if key.startswith("wiresearch_tantivy")
                                               else ""))
                out.append(line + ".")
        out.append("")
    if data["failed"] or data["notes"]:
        out.append("NOTES")
        out += [f"  {engine} skipped: {reason}" for engine, reason in data["failed"].items()]
        out += [f"  {note}" for note in data["notes"]]
    return "\n".join(out).rstrip() + "\n"


def parse_engines(text: str) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in ENGINES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown engine {unknown[0]!r}: choose from "
                                         f"{', '.join(ENGINES)}")
    if BASELINE not in chosen:
        # Every ratio is against the baseline measured in the same run.
        chosen.append(BASELINE)
    return list(dict.fromkeys(chosen))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True,
                        help="a folder (or file) of wire files, e.g. from make_corpus.py")
    parser.add_argument("--engines", type=parse_engines, default=list(ENGINES),
                        help=f"comma-separated, from {','.join(ENGINES)} (default: all; "
                             f"{BASELINE} is always added)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed repetitions of every figure (default 5)")
    parser.add_argument("--build-repeat", type=int, default=None,
                        help="repetitions of the parse and the builds (default: --repeat)")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the figures (default bench/results/...json)")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch folder for spool and indexes (default "
                             "bench/work/run-<corpus>)")
    parser.add_argument("--no-check", dest="check", action="store_false",
                        help="skip the reference index and the correctness checks")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    args.build_repeat = args.build_repeat or args.repeat
    if not args.corpus.exists():
        parser.error(f"no such corpus: {args.corpus}")
    name = args.corpus.resolve().name
    args.work = args.work or BENCH / "work" / f"run-{name}"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    json_path = args.json or BENCH / "results" / f"{name}-{stamp}.json"

    data = Benchmark(args).run()
    text = report(data)
    print(text)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    json_path.with_suffix(".txt").write_text(text, encoding="utf-8")
    log(f"figures written to {json_path} and {json_path.with_suffix('.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
