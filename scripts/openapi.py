"""Write the API's OpenAPI document to a file, without starting a server or touching a database.

    python scripts/openapi.py [PATH]      # default var/openapi.json; "-" writes to stdout

The front end generates its TypeScript types from this file, so the document is built from the
same ``create_app()`` the server runs. Building the app needs a signing key but never uses it
here: a throwaway one is supplied when ``GOLDENHOUR_SECRET_KEY`` is not set.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
from pathlib import Path

from pydantic import SecretStr

from dispatch.api.app import create_app
from dispatch.config import Settings

DEFAULT_PATH = Path("var/openapi.json")


def document() -> dict[str, object]:
    settings = Settings()
    if settings.secret_key is None:
        settings = Settings(secret_key=SecretStr(secrets.token_hex(32)))
    # The app warns when the front end is not built; irrelevant to the document.
    logging.getLogger("goldenhour.api").setLevel(logging.ERROR)
    return create_app(settings).openapi()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT_PATH), help='or "-" for stdout')
    args = parser.parse_args(argv)
    text = json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
    if args.path == "-":
        sys.stdout.write(text)
        return
    path = Path(args.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path} ({len(text) // 1024} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
