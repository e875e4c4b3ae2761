#!/usr/bin/env bash
# Install Golden Hour @VERSION@ from this offline bundle: no network, no package index.
# (Template: scripts/bundle.py fills in the version and writes it into the bundle as install.sh.)
#
# Usage: ./install.sh [PREFIX]            (default PREFIX: /opt/goldenhour)
#   PYTHON=python3.@PYTHON_MINOR@         the interpreter (its minor version must match the wheels)
#   DATABASE_URL, REDIS_URL               written into PREFIX/goldenhour.env on the first install
#
# Lays out PREFIX/venv (the server and every Python package, from wheelhouse/ only),
# PREFIX/frontend (the built pages), PREFIX/map (the default map, kept if one is there already),
# PREFIX/goldenhour.env (settings, with a generated token secret; kept on reinstall) and
# PREFIX/bin/goldenhour (the command with those settings loaded).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=${1:-/opt/goldenhour}
python=${PYTHON:-python3}
version=@VERSION@

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

step "checking the bundle and the interpreter"
(cd "$here" && sha256sum --quiet --strict -c SHA256SUMS) || fail "bundle damaged: SHA256SUMS does not match"
command -v "$python" >/dev/null || fail "no $python: install Python 3.@PYTHON_MINOR@ (Debian: python3, python3-venv)"
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, @PYTHON_MINOR@))' \
  || fail "$python is not Python 3.@PYTHON_MINOR@, which the wheels are built for (set PYTHON=...)"
"$python" -c 'import venv, ensurepip' 2>/dev/null || fail "$python has no venv module (Debian: python3-venv)"

mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd -P)

step "installing into $prefix/venv (from wheelhouse/ only)"
"$python" -m venv --clear "$prefix/venv"
# Only this bundle counts: no index, and none of this machine's pip settings (a configured
# find-links, index or constraints file would otherwise join in, or be waited for).
env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS -u PIP_CONSTRAINT \
  PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$prefix/venv/bin/python" -m pip install --quiet --no-index --find-links "$here/wheelhouse" \
  "goldenhour==$version"

# Alembic's scripts are not in the wheel: put them where dispatch.store.admin looks for them.
# Asked in isolated mode from / so that no dispatch/ in the current directory (a source
# checkout) answers instead of the installed one, and replaced only inside the new venv.
migrations=$(cd / && "$prefix/venv/bin/python" -I -c 'from dispatch.store import admin; print(admin.MIGRATIONS)')
case $migrations in
  "$prefix/venv/"*) ;;
  *) fail "the installed server looks for its migrations outside $prefix/venv: $migrations" ;;
esac
rm -rf "$migrations"
cp -r "$here/migrations" "$migrations"

step "front end and map"
rm -rf "$prefix/frontend"
cp -r "$here/frontend" "$prefix/frontend"
if [ -f "$prefix/map/meta.json" ]; then
  echo "keeping the map already in $prefix/map"
else
  mkdir -p "$prefix/map"
  cp -r "$here/map/." "$prefix/map/"
fi

env_file="$prefix/goldenhour.env"
if [ -f "$env_file" ]; then
  echo "keeping the settings in $env_file"
else
  secret=$("$python" -c 'import secrets; print(secrets.token_hex(32))')
  for value in "${DATABASE_URL:-}" "${REDIS_URL:-}"; do
    case $value in *"'"*) fail "DATABASE_URL / REDIS_URL must not contain a single quote" ;; esac
  done
  umask 077
  cat >"$env_file" <<EOF
# Golden Hour settings (the names are those of dispatch/config.py; README "Which PostgreSQL and Redis").
DATABASE_URL='${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/goldenhour}'
REDIS_URL='${REDIS_URL:-redis://127.0.0.1:6379/0}'
GOLDENHOUR_SECRET_KEY='$secret'
GOLDENHOUR_MAP_DIR='$prefix/map'
GOLDENHOUR_FRONTEND_DIR='$prefix/frontend'
EOF
  umask 022
fi

mkdir -p "$prefix/bin"
cat >"$prefix/bin/goldenhour" <<EOF
#!/usr/bin/env bash
# goldenhour with the settings of $env_file
set -a
# shellcheck source=/dev/null
. '$env_file'
set +a
exec '$prefix/venv/bin/goldenhour' "\$@"
EOF
chmod 755 "$prefix/bin/goldenhour"

cat <<EOF

Golden Hour $version is installed in $prefix. Next:
  1. PostgreSQL 15 + PostGIS 3 and Redis must be running (docs/offline-install.md: .deb files).
     Check DATABASE_URL and REDIS_URL in $env_file.
  2. $prefix/bin/goldenhour migrate       # creates the database, the schema and the server's role
  3. $prefix/bin/goldenhour seed          # stations, fleet, logins (each must change its password)
  4. $prefix/bin/goldenhour serve --host 0.0.0.0 --port 8000
     and put a TLS proxy in front (docker/Caddyfile shows one). Another map:
     $prefix/bin/goldenhour import-map /path/to/region.osm.pbf
EOF
