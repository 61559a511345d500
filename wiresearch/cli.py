"""The command line: each command parses flags, calls one library method, prints.

Errors users can cause print one line on stderr and exit non-zero (codes in README);
nothing here prints a traceback unless WIRESEARCH_DEBUG is set.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time

import click

EXPORT_FORMATS = ("text", "jsonl", "csv")


def _fail(message: str, code: int) -> None:
    click.echo(f"wiresearch: error: {message}", err=True)
    sys.exit(code)


class QueryCommand(click.Command):
    """A command whose QUERY may hold the query language's `-word` (NOT): `search coffee
    -cocoa`, `search -rain`. A dashed word that is not one of the command's options is a
    query word; a mistyped long option (`--limt`) is still refused. Click would read
    `-hurricane` as -h (help) and more letters, so help is --help, or -h on its own."""

    def __init__(self, *args, **kwargs):
        kwargs["context_settings"] = {**kwargs.get("context_settings", {}),
                                      "ignore_unknown_options": True,
                                      "help_option_names": ["--help"]}
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Only before a "--": after it, everything is the query.
        end = args.index("--") if "--" in args else len(args)
        known = {"--help"} | {name for param in self.params
                              for name in (*param.opts, *getattr(param, "secondary_opts", ()))}
        for arg in args[:end]:
            name = arg.split("=", 1)[0]
            if arg.startswith("--") and len(arg) > 2 and name not in known:
                raise click.UsageError(f"no such option: {name} (to search for it, put it "
                                       "in quotes inside the query)")
        args = ["--help" if arg == "-h" else arg for arg in args[:end]] + args[end:]
        return super().parse_args(ctx, args)


# Click 8.2 raises it for a group run without a command; 8.1 printed the help itself.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _terminate(_signal_number, _frame) -> None:
    from .errors import Terminated

    raise Terminated


class _ReaderGone(Exception):
    """The reader of our output (head, less) went away: not an error. (Not an OSError,
    which click would turn into exit 1 itself.)"""


class Group(click.Group):
    """Turns every error into one line on stderr and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError as error:
            raise _ReaderGone from error

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        from .errors import Terminated, WiresearchError

        for arg in sys.argv[1:] if args is None else args:
            if isinstance(arg, str) and not arg.isascii():
                try:
                    arg.encode("utf-8")
                except UnicodeEncodeError:
                    # Bytes that are not UTF-8 arrive as lone surrogates, which nothing
                    # can print, store or look up.
                    printable = os.fsencode(arg).decode("utf-8", "backslashreplace")
                    _fail(f"argument '{printable}' is not valid UTF-8", 2)
        signal.signal(signal.SIGTERM, _terminate)
        try:
            result = super().main(args=args, prog_name=prog_name or "wiresearch",
                                  complete_var=complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exit_:
            sys.exit(exit_.exit_code)
        except _NO_ARGS_IS_HELP as error:
            # `wiresearch` alone: the help as click lays it out, not folded into one line.
            click.echo(error.format_message())
            sys.exit(error.exit_code)
        except click.ClickException as error:
            _fail(" ".join(error.format_message().split()), error.exit_code)
        except click.Abort:
            _fail("aborted", 130)
        except WiresearchError as error:
            _fail(str(error), error.exit_code)
        except Terminated:
            _fail("terminated", 128 + signal.SIGTERM)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except (BrokenPipeError, _ReaderGone):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as error:
            if os.environ.get("WIRESEARCH_DEBUG"):
                raise
            _fail(f"unexpected {type(error).__name__}: {error} "
                  "(set WIRESEARCH_DEBUG=1 to see where)", 1)
        sys.exit(result if isinstance(result, int) else 0)


def _archive(ctx: click.Context):
    from .archive import Archive

    return Archive(ctx.obj["index"])


def _print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--index", "index_path", metavar="DIR", envvar="WIRESEARCH_INDEX",
              default="index", show_default=True,
              help="Index folder (default $WIRESEARCH_INDEX, else ./index).")
@click.version_option(package_name="wiresearch", prog_name="wiresearch")
@click.pass_context
def cli(ctx: click.Context, index_path: str) -> None:
    """Full-text search over news-wire archives."""
    from click.core import ParameterSource

    given = ctx.get_parameter_source("index_path")
    ctx.obj = {"index": index_path, "index_given": given != ParameterSource.DEFAULT,
               "index_typed": given == ParameterSource.COMMANDLINE}


class Progress:
    """A live status line on a terminal; nothing when piped."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, state: dict) -> None:
        if not self.enabled:
            return
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = state["articles"] / elapsed
        line = (f"  {state['files']:,}/{state['files_total']:,} files · "
                f"{state['articles']:,} articles · {rate:,.0f}/s · "
                f"{state['rejected']:,} rejected")
        click.echo("\r" + line.ljust(70), nl=False, err=True)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            click.echo("\r" + " " * 72 + "\r", nl=False, err=True)


def _report_exit(report) -> int:
    from .reindex import exit_code

    return exit_code(report)


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--engine", help="Engine for a new index: whoosh (default) or tantivy.")
@click.option("--format", "format_name", help="Read every file with this format reader.")
@click.option("--source", help="Publisher name for every article read.")
@click.option("--full", is_flag=True, help="Rebuild into a new generation.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Reader processes (default: cores).")
@click.option("--wait", type=click.FloatRange(0), default=0,
              help="Wait up to SECONDS for another writer to finish.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.pass_context
def index(ctx, paths, engine, format_name, source, full, dry_run, jobs, wait, as_json):
    """Index files and folders (incremental: only new and changed files are read)."""
    from .render import report_text

    progress = Progress(enabled=not as_json and sys.stderr.isatty())
    archive = _archive(ctx)
    try:
        report = archive.index(paths, format=format_name, source=source, engine=engine,
                               full=full, dry_run=dry_run, jobs=jobs, wait=wait,
                               progress=progress)
    finally:
        progress.done()
    if as_json:
        _print_json(report.to_dict())
    else:
        click.echo(report_text(report, str(archive.path)))
    return _report_exit(report)


def _filter_options(function):
    options = [
        click.option("--country", "countries", multiple=True, metavar="C",
                     help="ISO code or name (US, Russia, West Germany); repeatable."),
        click.option("--region", "regions", multiple=True, metavar="R",
                     help="UN region: Africa Americas Asia Europe Oceania; repeatable."),
        click.option("--source", "sources", multiple=True, metavar="S", help="Repeatable."),
        click.option("--topic", "topics", multiple=True, metavar="T", help="Repeatable."),
        click.option("--from", "date_from", metavar="DATE", help="YYYY[-MM[-DD]], inclusive."),
        click.option("--to", "date_to", metavar="DATE", help="YYYY[-MM[-DD]], inclusive."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@cli.command(cls=QueryCommand)
@click.argument("query", nargs=-1)
@_filter_options
@click.option("--facet", "facets", multiple=True, metavar="F",
              help="country region source topic year month; repeatable.")
@click.option("--facet-size", type=int, default=10, show_default=True)
@click.option("--sort", default="relevance", show_default=True,
              help="relevance, newest or oldest.")
@click.option("--recent", metavar="HALF_LIFE",
              help="Favour recent stories: score halves every HALF_LIFE (30d, 12h, 1y).")
@click.option("--expand", is_flag=True,
              help="Re-rank the best matches with words of the best few (query expansion).")
@click.option("--limit", type=int, default=10, show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--collapse/--no-collapse", default=None,
              help="Fold copies of the same story (default: on for text, off for --json).")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@click.option("--format", "output", default="text", show_default=True,
              help="text, or jsonl/csv to export matching articles.")
@click.option("--all", "export_all", is_flag=True,
              help="With --format jsonl/csv: every matching article, not one page.")
@click.option("--fields", help="With --format jsonl/csv: comma-separated fields.")
@click.pass_context
def search(ctx, query, countries, regions, sources, topics, date_from, date_to, facets,
           facet_size, sort, recent, expand, limit, page, collapse, as_json, output,
           export_all, fields):
    """Search the index. QUERY uses the query language in README; empty or * = all."""
    from .errors import UsageError

    text = " ".join(query)
    if output not in EXPORT_FORMATS:
        raise UsageError(f"unknown --format {output!r}: use {', '.join(EXPORT_FORMATS)}")
    if output != "text":
        if as_json:
            raise UsageError(f"--json and --format {output} each choose the output: "
                             "use one of them")
        if expand:
            raise UsageError(f"--expand re-ranks search results; it cannot be combined "
                             f"with --format {output}")
        from .query import MAX_LIMIT, SearchRequest

        # The options a page of search takes are checked as search checks them, even
        # those an export does not use (a mistyped --facet is still a mistake), but an
        # export's page is rows, not screens: --limit has no cap there.
        if limit < 1:
            raise UsageError("--limit must be at least 1")
        SearchRequest(query=text, facets=facets, facet_size=facet_size, sort=sort,
                      recent=recent, limit=min(limit, MAX_LIMIT), page=page).validate()
        return _export(ctx, text, output, export_all, fields, limit, page, sort, recent,
                       countries=countries, regions=regions, sources=sources, topics=topics,
                       date_from=date_from, date_to=date_to)
    if export_all or fields:
        raise UsageError("--all and --fields go with --format jsonl or csv")
    if collapse is None:
        collapse = not as_json
    if not facets and not as_json:
        facets = ("country", "topic", "year")
    with _archive(ctx) as archive:
        results = archive.search(text, countries=countries, regions=regions, sources=sources,
                                 topics=topics, date_from=date_from, date_to=date_to,
                                 facets=facets, sort=sort, limit=limit, page=page,
                                 facet_size=facet_size, collapse=collapse, recent=recent,
                                 expand=expand)
    if as_json:
        _print_json(results.to_dict())
    else:
        from .render import results_text

        click.echo(results_text(results))
    return 0


def _export(ctx, text, output, export_all, fields, limit, page, sort, recent, **filters):
    """Stream matching articles as JSON Lines or CSV: the page search would show, or
    with --all every match, in the same order."""
    from .archive import EXPORT_FIELDS

    chosen = (list(EXPORT_FIELDS) if fields is None
              else [name.strip() for name in fields.split(",") if name.strip()])
    with _archive(ctx) as archive:
        rows = archive.export(text, fields=chosen, sort=sort, recent=recent, **filters)
        if not export_all:
            from itertools import islice

            start = (page - 1) * limit
            rows = islice(rows, start, start + limit)
        stream = sys.stdout
        if output == "jsonl":
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            import csv

            writer = csv.DictWriter(stream, fieldnames=chosen, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({key: ";".join(value) if isinstance(value, list) else value
                                 for key, value in row.items()})
    return 0


@cli.command()
@click.argument("article_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, article_id, as_json):
    """Show one article in full."""
    with _archive(ctx) as archive:
        article = archive.get(article_id)
    if as_json:
        _print_json(article.to_dict())
    else:
        from .render import article_text

        click.echo(article_text(article))
    return 0


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stats(ctx, as_json):
    """What the index holds: engine, generation, articles, dates, sources."""
    with _archive(ctx) as archive:
        data = archive.stats()
    if as_json:
        _print_json(data)
    else:
        from .render import stats_text

        click.echo(stats_text(data))
    return 0


@cli.command(cls=QueryCommand)
@click.argument("query", nargs=-1)
@click.option("--by", default="month", show_default=True, help="day, week, month or year.")
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="The series as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="The series as CSV.")
@click.pass_context
def timeline(ctx, query, by, countries, regions, sources, topics, date_from, date_to,
             as_json, as_csv):
    """Coverage over time: matching articles per day, week, month or year."""
    if as_json and as_csv:
        from .errors import UsageError

        raise UsageError("--json and --csv each choose the output: use one of them")
    with _archive(ctx) as archive:
        series = archive.timeline(" ".join(query), by=by, countries=countries,
                                  regions=regions, sources=sources, topics=topics,
                                  date_from=date_from, date_to=date_to)
    if as_json:
        _print_json(series.to_dict())
    elif as_csv:
        click.echo(f"{by},start,count")
        for bucket in series.buckets:
            click.echo(f"{bucket.label},{bucket.start.isoformat()},{bucket.count}")
    else:
        from .render import timeline_text

        click.echo(timeline_text(series))
    return 0


@cli.command()
@click.argument("article_id", metavar="ID")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--collapse/--no-collapse", default=None,
              help="Fold copies of the same story (default: on for text, off for --json).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def similar(ctx, article_id, limit, collapse, as_json):
    """Stories most like ID by content (its own copies left out)."""
    with _archive(ctx) as archive:
        results = archive.similar(article_id, limit=limit,
                                  collapse=not as_json if collapse is None else collapse)
    if as_json:
        _print_json(results.to_dict())
    else:
        from .render import results_text

        click.echo(results_text(results, paged=False))  # similar has no --page
    return 0


@cli.command()
@click.option("--config", "config_file", metavar="FILE",
              help="wiresearch.toml to use (default: $WIRESEARCH_CONFIG, else ./wiresearch.toml).")
@click.option("--full", is_flag=True, help="Rebuild into a new generation, switch atomically.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--wait", type=click.FloatRange(0), default=0,
              help="Queue for up to SECONDS behind a running job instead of exiting.")
@click.option("--jobs", type=click.IntRange(1, 64), help="Reader processes (default: cores).")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.pass_context
def reindex(ctx, config_file, full, dry_run, wait, jobs, as_json):
    """The nightly job: bring the configured index in line with its sources."""
    from . import reindex as job
    from .config import load_config
    from .errors import UsageError
    from .render import report_text

    if ctx.obj["index_typed"]:
        # The configuration names the index reindex works on: a typed one would be
        # ignored, and the run change another index than the one the user named.
        raise UsageError("--index and the configuration each name the index: reindex "
                         "works on the configuration's `index`; leave --index out")
    config = load_config(config_file)
    progress = Progress(enabled=not as_json and sys.stderr.isatty())
    try:
        report = job.run(config, full=full, dry_run=dry_run, wait=wait, jobs=jobs,
                         progress=progress)
    finally:
        progress.done()
    if as_json:
        _print_json(report.to_dict())
    else:
        click.echo(report_text(report, str(config.index)))
    return job.exit_code(report)


def _maintained_index(ctx: click.Context, config_file: str | None) -> str:
    """The index `check` and `rollback` work on: the configuration's (as `reindex`
    finds it) when --config is given (over $WIRESEARCH_INDEX), or when neither --index
    nor $WIRESEARCH_INDEX names one and a configuration is there; else --index's."""
    import os

    from .config import CONFIG_NAME, load_config
    from .errors import UsageError

    if config_file is None and (ctx.obj["index_given"] or not (
            os.environ.get("WIRESEARCH_CONFIG") or os.path.isfile(CONFIG_NAME))):
        return ctx.obj["index"]
    if config_file is not None and ctx.obj["index_typed"]:
        raise UsageError("--index and --config each name the index: use one of them")
    return str(load_config(config_file).index)


_CONFIG_OPTION = click.option(
    "--config", "config_file", metavar="FILE",
    help="Work on this configuration's index (default, when no --index is given: "
         "$WIRESEARCH_CONFIG, else ./wiresearch.toml if there is one).")


@cli.command()
@click.option("--wait", type=click.FloatRange(0), default=0)
@_CONFIG_OPTION
@click.pass_context
def rollback(ctx, wait, config_file):
    """Make the previous generation live again (kept after each full rebuild)."""
    from .indexdir import IndexDir
    from .reindex import rollback as roll_back

    index = _maintained_index(ctx, config_file)
    current, previous = roll_back(IndexDir(index), wait)
    click.echo(f"{index}: live generation is now {previous} (was {current})")
    return 0


@cli.command()
@click.option("--repair", is_flag=True,
              help="Delete orphans and queue their files, and missing articles' files.")
@click.option("--wait", type=click.FloatRange(0), default=0, metavar="SECONDS",
              help="Wait up to SECONDS for a run in progress to end.")
@click.option("--json", "as_json", is_flag=True)
@_CONFIG_OPTION
@click.pass_context
def check(ctx, repair, wait, as_json, config_file):
    """Verify the index against its catalog and say how to repair it."""
    from .indexdir import IndexDir
    from .reindex import check as run_check

    index = _maintained_index(ctx, config_file)
    report = run_check(IndexDir(index), repair=repair, wait=wait)
    if as_json:
        _print_json(report.to_dict())
    else:
        status = "ok" if report.ok else ("repaired" if report.repaired else "PROBLEMS")
        click.echo(f"{index} ({report.engine}, {report.generation}): {status}")
        click.echo(f"  {report.documents:,} articles in the index, "
                   f"{report.catalog_documents:,} in the catalog")
        for label, items in (("missing from the index", report.missing),
                             ("orphaned in the index", report.orphaned),
                             ("in the index more than once", report.duplicated),
                             ("source files gone", report.files_gone),
                             ("files unreadable at last run", report.files_stale),
                             ("files of an interrupted run", report.interrupted)):
            if items:
                click.echo(f"  {len(items):,} {label}: " + ", ".join(items[:5])
                           + (", …" if len(items) > 5 else ""))
        for line in report.advice():
            click.echo(f"  → {line}")
    return 0 if report.ok or report.repaired else 1


def main(argv=None) -> None:
    cli.main(args=argv, prog_name="wiresearch")


if __name__ == "__main__":  # pragma: no cover
    main()
