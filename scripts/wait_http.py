"""Wait until a URL answers 200 (or give up after N seconds): `wait_http.py URL SECONDS`."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request

url, limit = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except (urllib.error.URLError, OSError):
        pass
    time.sleep(0.5)
sys.exit(f"{url} did not answer within {limit:.0f} s")
