#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Golden Hour needs, only those missing.
# Usage: scripts/system-deps.sh [demo|test]   (test also installs Chromium for the browser tests)
# Both install a CJK font (fonts-noto-cjk) when the machine has none.
set -euo pipefail
purpose=${1:-demo}
want=()
have() { command -v "$1" >/dev/null 2>&1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

python3 -c 'import venv, ensurepip' 2>/dev/null || want+=(python3-venv)
have node && have npm || want+=(nodejs npm)
have redis-server || want+=(redis-server)   # the fault tests start private Redis servers

# PostGIS goes into the local PostgreSQL we will use (a remote DATABASE_URL must have it already).
if [ -z "${DATABASE_URL:-}" ]; then
  versions=$(ls /usr/lib/postgresql 2>/dev/null || true)
  if [ -z "$versions" ]; then
    want+=(postgresql postgresql-postgis)   # pulls the distribution's default version
  fi
  for v in $versions; do
    [ -f "/usr/share/postgresql/$v/extension/postgis.control" ] || want+=("postgresql-$v-postgis-3")
  done
fi
if [ "$purpose" = test ]; then
  [ -x /usr/bin/chromium ] || want+=(chromium)
fi
# A font with Chinese glyphs (the console's 中文, street names of a Chinese map): without one,
# browsers on this machine draw every Chinese character as an empty box.
if ! { have fc-list && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]; }; then
  want+=(fonts-noto-cjk)
  have fc-list || want+=(fontconfig)
fi

if [ ${#want[@]} -gt 0 ]; then
  echo "installing: ${want[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
