"""Make a synthetic news-wire archive for the benchmark: N articles recombined from the
real Reuters-21578 stories, written as Reuters SGML that wiresearch's reader reads.

    python bench/make_corpus.py 200000 --out bench/work/synth200k [--seed 1]

Each article takes its headline, places, topics and dateline city from one real story
(so facets keep Reuters' real frequencies and their real combinations) and its body from
as many sentences as that story has, each drawn from a different real story. Numbers in
borrowed sentences are partly redrawn, so the vocabulary keeps growing with the archive
as a real one does (prices, volumes, tallies) instead of stopping at Reuters' 21,578
stories. Dates rise with the NEWID from 1980 to 2026, as in an archive filed day by day.

Files hold 1,000 articles each (`synth-00000.sgm`, ...). Same N, seed and Reuters files
give byte-identical output; only one file's articles are in memory at a time, so a
million articles need no more memory than a thousand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_REUTERS = REPO.parent / "shared" / "corpora" / "reuters21578"
ARTICLES_PER_FILE = 1000
FILE_PATTERN = "synth-{:05d}.sgm"
MANIFEST = ".make_corpus.json"
# Dates run from the first to the last instant of this span, in NEWID order.
FIRST_DAY = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)
LAST_DAY = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
# Reuters wraps body lines at about this width and indents each new paragraph.
WRAP = 65
INDENT = "    "
# Reuters' own month spellings in datelines ("Feb 26", "March 3", "Sept 9").
DATELINE_MONTHS = ("Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept",
                   "Oct", "Nov", "Dec")
SGML_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV",
               "DEC")
# A sentence boundary: end punctuation, space, then what starts a sentence. Splits after
# these abbreviations are undone.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(<])")
_ABBREVIATIONS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Lt|Col|Jan|Feb|Mar|Apr|Aug|Sept|Sep|Oct|Nov|"
    r"Dec|No|Nos|Co|Corp|Inc|Ltd|Bros|vs|U\.S|U\.K|U\.N)\.$")
MIN_SENTENCE_WORDS = 3
MAX_SENTENCE_CHARS = 1000
# Share of numbers in a borrowed sentence that are redrawn (digit for digit); years
# (1900-2099) and single digits are kept, as they are the numbers that repeat.
REDRAW_NUMBERS = 0.5
_NUMBER = re.compile(r"\d+")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True)
class Template:
    """What an article borrows from one real story: everything except the body, and
    how many sentences its body has."""

    headline: str
    dateline: str
    places: tuple[str, ...]
    topics: tuple[str, ...]
    sentences: int


@dataclass
class Pool:
    templates: list[Template]
    sentences: list[str]
    # The story each sentence comes from (index into templates' source stories).
    story_of: list[int]


def split_sentences(body: str) -> list[str]:
    """The sentences of a normalized body, one line each."""
    found: list[str] = []
    for paragraph in body.split("\n\n"):
        pending = ""
        for piece in _BOUNDARY.split(" ".join(paragraph.split())):
            pending = f"{pending} {piece}" if pending else piece
            if not _ABBREVIATIONS.search(pending):
                found.append(pending)
                pending = ""
        if pending:
            found.append(pending)
    return [sentence for sentence in found if len(sentence.split()) >= MIN_SENTENCE_WORDS
            and len(sentence) <= MAX_SENTENCE_CHARS]


def read_stories(path: str) -> list[tuple[Template, list[str]]]:
    """Templates and sentences of one Reuters file, through wiresearch's own reader and
    normalization (runs in a worker process)."""
    from wiresearch import formats
    from wiresearch.model import Rejection
    from wiresearch.normalize import normalize

    data = Path(path).read_bytes()
    stories = []
    for item in formats.read_source(formats.SourceFile(path, data)):
        if isinstance(item, Rejection):
            continue
        article = normalize(item).article
        if not article.headline:
            continue
        sentences = split_sentences(article.body)
        stories.append((Template(article.headline, article.dateline, item.places,
                                 item.topics, len(sentences)), sentences))
    return stories


def load_pool(reuters: Path) -> Pool:
    files = sorted(str(p) for p in reuters.glob("reut2-*.sgm"))
    if not files:
        raise SystemExit(f"no reut2-*.sgm files in {reuters}: give --reuters DIR")
    pool = Pool([], [], [])
    workers = min(len(files), os.cpu_count() or 1)
    with ProcessPoolExecutor(max_workers=workers) as executor:
        # map keeps file order, so the pool (and everything drawn from it) is the same
        # whatever the number of workers.
        for stories in executor.map(read_stories, files):
            for template, sentences in stories:
                story = len(pool.templates)
                pool.templates.append(template)
                pool.sentences.extend(sentences)
                pool.story_of.extend([story] * len(sentences))
    return pool


def sgml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def wrap(paragraph: str, first_indent: str) -> list[str]:
    """Lines of at most WRAP characters (a longer word gets a line of its own)."""
    lines: list[str] = []
    line = first_indent
    for word in paragraph.split(" "):
        if line.strip() and len(line) + 1 + len(word) > WRAP:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line.strip() else line + word
    if line.strip():
        lines.append(line)
    return lines


def redraw_numbers(sentence: str, rng: random.Random) -> str:
    def redraw(match: re.Match) -> str:
        digits = match.group()
        if len(digits) < 2 or _YEAR.fullmatch(digits) or rng.random() >= REDRAW_NUMBERS:
            return digits
        first = str(rng.randint(1, 9)) if digits[0] != "0" else "0"
        return first + "".join(str(rng.randint(0, 9)) for _ in digits[1:])

    return _NUMBER.sub(redraw, sentence)


class Generator:
    def __init__(self, pool: Pool, total: int, seed: int):
        self.pool = pool
        self.total = total
        self.seed = seed
        self.span = (LAST_DAY - FIRST_DAY).total_seconds()

    def file(self, number: int) -> str:
        """The SGML text of file `number` (its own random stream: files do not depend
        on each other)."""
        rng = random.Random(self.seed * 1_000_003 + number)
        first = number * ARTICLES_PER_FILE + 1
        last = min(first + ARTICLES_PER_FILE - 1, self.total)
        parts = ['<!DOCTYPE lewis SYSTEM "lewis.dtd">\n']
        for newid in range(first, last + 1):
            parts.append(self.article(newid, rng))
        return "".join(parts)

    def article(self, newid: int, rng: random.Random) -> str:
        pool = self.pool
        template = rng.choice(pool.templates)
        # NEWID n falls in the n-th of `total` equal slices of the span: dates rise with
        # the NEWID.
        seconds = self.span * (newid - 1 + rng.random()) / self.total
        when = FIRST_DAY + dt.timedelta(seconds=int(seconds))
        stamp = (f"{when.day:2d}-{SGML_MONTHS[when.month - 1]}-{when.year} "
                 f"{when:%H:%M:%S}.{rng.randint(0, 99):02d}")
        topics = "".join(f"<D>{sgml_escape(t)}</D>" for t in template.topics)
        places = "".join(f"<D>{sgml_escape(p)}</D>" for p in template.places)
        lines = [
            f'<REUTERS TOPICS="{"YES" if template.topics else "NO"}" NEWID="{newid}">',
            f"<DATE>{stamp}</DATE>",
            f"<TOPICS>{topics}</TOPICS>",
            f"<PLACES>{places}</PLACES>",
            "<PEOPLE></PEOPLE>",
            "<ORGS></ORGS>",
            "<EXCHANGES></EXCHANGES>",
            "<COMPANIES></COMPANIES>",
            "<TEXT>&#2;",
            f"<TITLE>{sgml_escape(template.headline)}</TITLE>",
        ]
        dateline = ""
        if template.dateline:
            month = DATELINE_MONTHS[when.month - 1]
            dateline = (f"<DATELINE>    {sgml_escape(template.dateline)}, {month} {when.day} "
                        f"- </DATELINE>")
        body = self.body(template.sentences, rng)
        if body:
            lines.append(f"{dateline}<BODY>{body}\n Reuter\n&#3;</BODY></TEXT>")
        else:
            lines.append(f"{dateline}&#3;</TEXT>")
        lines.append("</REUTERS>\n")
        return "\n".join(lines)

    def body(self, count: int, rng: random.Random) -> str:
        """`count` sentences from `count` different stories, in paragraphs of one or two
        sentences, wrapped and indented as Reuters does."""
        pool = self.pool
        chosen: list[str] = []
        stories: set[int] = set()
        while len(chosen) < count:
            index = rng.randrange(len(pool.sentences))
            if pool.story_of[index] in stories:
                continue
            stories.add(pool.story_of[index])
            chosen.append(redraw_numbers(pool.sentences[index], rng))
        lines: list[str] = []
        position = 0
        while position < len(chosen):
            # The lead is one sentence; later paragraphs one or two.
            size = 1 if position == 0 else rng.choice((1, 1, 2))
            paragraph = " ".join(chosen[position:position + size])
            position += size
            lines.extend(wrap(sgml_escape(paragraph), INDENT if lines else ""))
        return "\n".join(lines)


def pool_summary(pool: Pool) -> dict:
    return {"stories": len(pool.templates), "sentences": len(pool.sentences)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", type=int, nargs="?", default=200_000,
                        help="number of articles (default 200000)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default bench/work/synth<N>)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuters", type=Path, default=DEFAULT_REUTERS,
                        help=f"the Reuters-21578 folder (default {DEFAULT_REUTERS})")
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("the number of articles must be at least 1")
    out = args.out or REPO / "bench" / "work" / f"synth{args.articles}"
    out.mkdir(parents=True, exist_ok=True)
    # Files of an earlier, larger run would otherwise stay in the archive.
    for stale in out.glob("synth-*.sgm"):
        stale.unlink()

    started = time.monotonic()
    pool = load_pool(args.reuters)
    print(f"read {len(pool.templates):,} stories, {len(pool.sentences):,} sentences from "
          f"{args.reuters} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    generator = Generator(pool, args.articles, args.seed)
    files = -(-args.articles // ARTICLES_PER_FILE)
    written = 0
    for number in range(files):
        text = generator.file(number)
        path = out / FILE_PATTERN.format(number)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        written += len(text.encode("utf-8"))
        if sys.stderr.isatty() and (number + 1) % 10 == 0:
            print(f"\r{number + 1}/{files} files", end="", file=sys.stderr)
    manifest = {"articles": args.articles, "seed": args.seed, "files": files,
                "articles_per_file": ARTICLES_PER_FILE, "reuters": str(args.reuters),
                "dates": [FIRST_DAY.date().isoformat(), LAST_DAY.date().isoformat()],
                **pool_summary(pool)}
    # A hidden file: wiresearch skips it when indexing the folder.
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(f"wrote {args.articles:,} articles in {files:,} files ({written / 2**20:,.1f} MiB) "
          f"to {out} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
