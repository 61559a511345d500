"""Human output: what a reporter reads at a terminal. Colour goes through click.style,
which click.echo strips when the output is not a terminal."""

from __future__ import annotations

import datetime as dt
import html
import re

import click

from .model import Article, Hit, Results, Timeline
from .places import country_label

BAR_WIDTH = 50
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def marked(text: str) -> str:
    """An HTML snippet as terminal text, matches in bold yellow."""
    # split() with the group: plain text and marked text alternate.
    pieces = _MARK.split(text)
    return "".join(click.style(html.unescape(piece), fg="yellow", bold=True) if number % 2
                   else html.unescape(piece) for number, piece in enumerate(pieces))


def _when(value) -> str:
    if value is None:
        return "undated"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def hit_lines(number: int, hit: Hit) -> list[str]:
    headline = hit.headline or "(no headline)"
    lines = [f"{click.style(f'{number:>3}.', dim=True)} {click.style(headline, bold=True)}"]
    meta = [_when(hit.date), hit.source]
    if hit.dateline:
        meta.append(hit.dateline)
    if hit.countries:
        meta.append(", ".join(country_label(code) for code in hit.countries))
    if hit.topics:
        meta.append(", ".join(hit.topics))
    lines.append("     " + click.style(" · ".join(part for part in meta if part), fg="cyan"))
    if hit.snippet:
        lines.append("     " + marked(hit.snippet))
    ident = hit.id
    if hit.duplicates:
        shown = ", ".join(hit.duplicates[:5]) + (", …" if len(hit.duplicates) > 5 else "")
        copies = "copy" if len(hit.duplicates) == 1 else "copies"
        ident += f"  (+{len(hit.duplicates)} {copies}: {shown})"
    lines.append("     " + click.style(ident, dim=True))
    return lines


def results_text(results: Results, paged: bool = True) -> str:
    """A page of results for people; `paged` False for a list that has no other pages
    to go to (`similar`)."""
    out: list[str] = []
    first = (results.page - 1) * results.limit + 1
    for offset, hit in enumerate(results.hits):
        out.extend(hit_lines(first + offset, hit))
        out.append("")
    pages = max(1, -(-results.total // results.limit))
    if not results.hits:
        out.append("No articles match." if results.total == 0 else
                   f"No articles on page {results.page:,}: the last is page {pages:,}.")
        out.append("")
    summary = f"{results.total:,} article{'s' if results.total != 1 else ''}"
    if results.total and paged and results.hits:
        summary += f" · page {results.page:,} of {pages:,}"
    if results.total:
        summary += f" · sorted by {results.sort}"
    if results.collapsed:
        summary += " · copies folded (--no-collapse shows them)"
    out.append(click.style(summary, bold=True))
    for name, buckets in results.facets.items():
        if not buckets:
            continue
        parts = [f"{bucket.label} {click.style(f'{bucket.count:,}', fg='green')}"
                 for bucket in buckets]
        more = " · …" if buckets.truncated else ""
        out.append(f"{click.style(name.capitalize() + ':', bold=True)} "
                   + " · ".join(parts) + more)
    if results.suggestion:
        out.append(click.style("Did you mean: ", bold=True)
                   + click.style(results.suggestion, fg="yellow"))
    if results.expanded:
        out.append(click.style("Expanded with: ", bold=True) + ", ".join(results.expanded))
    return "\n".join(out)


def article_text(article: Article) -> str:
    out = [click.style(article.headline or "(no headline)", bold=True)]
    meta = [_when(article.date), article.source, article.dateline,
            ", ".join(country_label(c) for c in article.countries),
            ", ".join(article.regions), ", ".join(article.topics)]
    out.append(click.style(" · ".join(part for part in meta if part), fg="cyan"))
    if article.byline:
        out.append(article.byline)
    out.append(click.style(f"{article.id}  ({article.path}"
                           + (f", {article.position}" if article.position else "") + ")",
                           dim=True))
    out.append("")
    out.append(article.body)
    return "\n".join(out)


def timeline_text(timeline: Timeline) -> str:
    title = timeline.query or "all articles"
    out = [click.style(f"{title}: articles per {timeline.by} ({timeline.total:,} in all)",
                       bold=True)]
    peak = max((bucket.count for bucket in timeline.buckets), default=0)
    width = max((len(bucket.label) for bucket in timeline.buckets), default=0)
    digits = len(f"{peak:,}")
    for bucket in timeline.buckets:
        length = 0 if not peak else bucket.count * BAR_WIDTH / peak
        whole = int(length)
        bar = "█" * whole + ("▌" if length - whole >= 0.5 else "")
        if bucket.count and not bar:
            bar = "▏"
        out.append(f"{bucket.label:<{width}} {click.style(bar.ljust(BAR_WIDTH + 1), fg='cyan')}"
                   f"{bucket.count:>{digits},}")
    if timeline.undated:
        out.append(click.style(f"{timeline.undated:,} matching articles have no date", dim=True))
    if not timeline.buckets:
        out.append("No dated articles match.")
    return "\n".join(out)


def report_text(report, index_path: str) -> str:
    verb = "Would change" if report.dry_run else "Indexed into"
    out = [click.style(f"{verb} {index_path} ({report.engine}"
                       + (f", {report.generation}" if report.generation else "")
                       + (", full rebuild" if report.full else "") + ")", bold=True)]
    if report.dry_run:
        out.append(f"  files: {len(report.files_new):,} new, {len(report.files_changed):,} "
                   f"changed, {len(report.files_removed):,} removed, "
                   f"{report.files_unchanged:,} unchanged")
        for label, paths in (("new", report.files_new), ("changed", report.files_changed),
                             ("removed", report.files_removed)):
            for path in paths[:20]:
                out.append(f"    {label:<8} {path}")
            if len(paths) > 20:
                out.append(f"    … and {len(paths) - 20:,} more {label}")
        return "\n".join(out)
    out.append(f"  articles: {report.added:,} added, {report.updated:,} updated, "
               f"{report.deleted:,} deleted, {report.unchanged:,} unchanged")
    out.append(f"  files: {len(report.files_new):,} new, {len(report.files_changed):,} changed, "
               f"{len(report.files_removed):,} removed, {report.files_unchanged:,} unchanged")
    if report.recovered:
        out.append(f"  recovered {len(report.recovered)} file(s) from an interrupted run")
    for path in report.files_stale:
        out.append(click.style(f"  kept last good articles of {path} (rejected now: see "
                               "below)", fg="yellow"))
    if report.rejected:
        out.append(click.style(f"  rejected {len(report.rejected):,}:", fg="red", bold=True))
        for rejection in report.rejected[:50]:
            out.append(f"    {rejection}")
        if len(report.rejected) > 50:
            out.append(f"    … and {len(report.rejected) - 50:,} more (--json lists all)")
    if report.warnings:
        out.append(click.style(f"  warnings {len(report.warnings):,}:", fg="yellow"))
        for warning in report.warnings[:10]:
            out.append(f"    {warning}")
        if len(report.warnings) > 10:
            out.append(f"    … and {len(report.warnings) - 10:,} more (--json lists all)")
    out.append(f"  {report.documents:,} articles in the index · {report.duration:.1f} s")
    return "\n".join(out)


def stats_text(stats: dict) -> str:
    rows = [
        ("index", stats["index"]), ("engine", stats["engine"]),
        ("generation", stats["generation"]
         + (f" (previous: {stats['previous_generation']})" if stats["previous_generation"]
            else "")),
        ("articles", f"{stats['documents']:,}"), ("files", f"{stats['files']:,}"
                                                  + (f" ({stats['files_with_errors']} with errors)"
                                                     if stats["files_with_errors"] else "")),
        ("dates", f"{stats['oldest'] or '-'} to {stats['newest'] or '-'}"),
        ("duplicate groups", f"{stats['duplicate_groups']:,}"),
        ("sources", ", ".join(f"{name} {count:,}" for name, count in
                              sorted(stats["sources"].items(), key=lambda i: -i[1]))),
        ("size", f"{stats['size_bytes'] / 2**20:.1f} MiB"),
        ("created", stats["created"] or "-"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{click.style(name.ljust(width), bold=True)}  {value}"
                     for name, value in rows)
