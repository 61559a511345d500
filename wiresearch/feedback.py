"""Query expansion by pseudo-relevance feedback (`search --expand`): a search re-ranked
by the words of its own best matches.

A search for `cocoa` finds every story that names cocoa; the best of them also say
"grindings", "arabica" or "ICCO", which stories about the cocoa trade say and a story
that names cocoa in passing does not. The words that mark the few best matches
(frequent in them, rare in the archive's bodies) are added to the query as a bonus: they
re-order the best matches (on the Whoosh engine the first ranking.RESCORE_WINDOW of
them; tantivy scores every match), as the proximity bonus does, and never change what
matches or how many. A search whose matches all score the same (`-oil`, `topic:crude`)
has no best matches to learn from and is left as it is. It costs a second search, so it
is asked for, not a default: on the Reuters topic queries it raises mean average
precision, while a search for one remembered story (its headline, say) gains nothing and
loses a little.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from . import analysis, nodes, ranking
from .engine import EngineSearcher
from .model import Article
from .querylang import ParsedQuery

# Tuned with bench/eval.py on the Reuters training split (bench/README has the grid).
# Feedback is read from this many best matches,
FEEDBACK_DOCUMENTS = 10
# which give the query this many words,
FEEDBACK_TERMS = 10
# each found in at least this many of them (a word of one or two stories is theirs, not
# the subject's: with 2, the first relevant story came later on topic queries)
FEEDBACK_MIN_ARTICLES = 3
# and in at most this share of the archive's stories (commoner words say little about
# a subject; an archive of fewer than 40 stories has no such words).
FEEDBACK_MAX_SHARE = 0.05
# The heaviest word weighs this much of a query word in the bonus, the others by their
# weight relative to it.
FEEDBACK_WEIGHT = 0.3

FEEDBACK_FIELDS = ("headline", "body")
# The best matches are read this many times over, so that copies of a story, counted
# once, still leave FEEDBACK_DOCUMENTS stories.
COPIES_READ = 2
# Terms are looked up in the archive this many at a time (see weighted_terms).
LOOKUP_BATCH = 16


def weighted_terms(searcher: EngineSearcher, articles: Iterable[Article],
                   leave_out: Iterable[str] = (), leave_out_prefixes: Iterable[str] = (),
                   max_share: float | None = None, min_articles: int = 1,
                   spellings: Counter[tuple[str, str]] | None = None,
                   limit: int | None = None) -> list[tuple[str, float]]:
    """The terms of `articles`' headlines and bodies, heaviest first (the `limit`
    heaviest when given), each weighed by its count in them times its rarity in the
    archive's bodies (idf). Left out: stop words, numbers, words of two letters, terms
    of `leave_out` or starting with one of `leave_out_prefixes`, terms of fewer than
    `min_articles` of the articles, terms of no more than one story's body and, with
    `max_share`, terms in more than that share of the archive's stories. `spellings`,
    when given, counts each (term, word) found."""
    left_out = set(leave_out)
    prefixes = tuple(leave_out_prefixes)
    counts: Counter[str] = Counter()
    articles_with: Counter[str] = Counter()
    for article in articles:
        found = _terms_of(article, spellings)
        for term in left_out & found.keys():
            del found[term]
        counts.update(found)
        articles_with.update(found.keys())
    candidates = [term for term in counts if articles_with[term] >= min_articles
                  and not (prefixes and term.startswith(prefixes))]
    documents = max(searcher.doc_count(), 1)
    # Frequencies count deleted stories too, so there is no cap unless one is asked for.
    most = math.inf if max_share is None else max_share * documents
    # Looking a term up in the archive is most of the cost, and only the heaviest few
    # are wanted: terms are looked up from the most counted down, until even the rarest
    # term kept (in two stories) could not weigh as much as the last of the heaviest.
    highest_idf = math.log(1 + documents / 3)
    candidates.sort(key=lambda term: -counts[term])
    weights: dict[str, float] = {}
    for start in range(0, len(candidates), LOOKUP_BATCH):
        batch = candidates[start:start + LOOKUP_BATCH]
        if limit is not None and len(weights) >= limit:
            lightest_kept = sorted(weights.values(), reverse=True)[limit - 1]
            if counts[batch[0]] * highest_idf < lightest_kept:
                break
        frequencies = searcher.term_statistics("body", batch)
        weights.update((term, counts[term] * math.log(1 + documents / (1 + frequencies[term])))
                       for term in batch if 1 < frequencies[term] <= most)
    return sorted(weights.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _terms_of(article: Article, spellings: Counter[tuple[str, str]] | None = None
              ) -> Counter[str]:
    """How often each term of the article's headline and body is used, stop words,
    numbers and words of one or two letters left out; each (term, word) counted into
    `spellings` too when given. Counted word by word, in C: a story is read whole."""
    kept = [word for word in analysis.words(article.headline + " " + article.body)
            if len(word) > 2 and word not in analysis.STOP_WORDS and not word.isdigit()]
    terms = analysis.stems(kept)
    if spellings is not None:
        spellings.update(zip(terms, kept, strict=True))
    return Counter(terms)


def word_query(term: str, weight: float) -> nodes.Node:
    """`term` looked for in headline and body with a search's field weights, times
    `weight` (which ranking.word_in_fields reads back as the word's query weight)."""
    return nodes.Or(tuple(nodes.Term(name, term, ranking.FIELD_WEIGHTS[name] * weight)
                          for name in FEEDBACK_FIELDS))


def expanded(searcher: EngineSearcher, query: nodes.Node, parsed: ParsedQuery
             ) -> tuple[nodes.Node, list[str]]:
    """(`query`, the ranked search of `parsed`, with the words of its best matches added
    to its bonus (the query's own words, fuzzy words and prefixes left out); those
    words, heaviest first, each as the best matches most often write it, folded)."""
    # Copies of one story (a cluster) would vote for its words several times.
    _total, best = searcher.search(query, "relevance", 0, FEEDBACK_DOCUMENTS * COPIES_READ)
    if len({hit.score for hit in best}) < 2:
        return query, []  # every match scores the same: no best matches
    clusters: set[str] = set()
    stories = []
    for hit in best:
        if hit.cluster not in clusters and len(stories) < FEEDBACK_DOCUMENTS:
            clusters.add(hit.cluster)
            stories.append(hit.article)
    own = parsed.terms | parsed.excluded | {term for term, _distance in parsed.fuzzy}
    spellings: Counter[tuple[str, str]] = Counter()
    top = weighted_terms(searcher, stories, leave_out=own,
                         leave_out_prefixes=parsed.prefixes, max_share=FEEDBACK_MAX_SHARE,
                         min_articles=FEEDBACK_MIN_ARTICLES,
                         spellings=spellings, limit=FEEDBACK_TERMS)
    if not top:
        return query, []
    heaviest = top[0][1]
    extras = tuple(word_query(term, FEEDBACK_WEIGHT * weight / heaviest)
                   for term, weight in top)
    if isinstance(query, nodes.Bonus):  # the proximity bonus: kept, with the words added
        query = nodes.Bonus(query.base, query.extras + extras)
    else:
        query = nodes.Bonus(query, extras)
    # A term is a stem ("ounc"): people read the word the stories use most for it (the
    # first in alphabetical order among equals). Only the chosen terms' words are sorted.
    chosen = {term for term, _weight in top}
    written: dict[str, tuple[str, int]] = {}
    for (term, word), count in sorted(item for item in spellings.items()
                                      if item[0][0] in chosen):
        if count > written.get(term, ("", 0))[1]:
            written[term] = (word, count)
    return query, [written[term][0] for term, _weight in top]
