"""Load and soak a running PatentBridge server on loopback; see tools/load/run.py.

    python scripts/load.py --url http://127.0.0.1:8000 --clients 16 --seconds 120
    python scripts/load.py --mix queries --seconds 60          # reads only (during a re-index)
    python scripts/load.py --tto-key pb_... --sme-key pb_...   # keys instead of provisioning

Without keys it creates a university and one enterprise per client, with keys, in the
database named by --database-url (default: DATABASE_URL, the server's own). Exits 1 if any
request failed or an acknowledged write is missing afterwards, 2 if the run was refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

# tools/ is not part of the installed package; it is imported from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.config import get_settings  # noqa: E402
from tools.load.run import (  # noqa: E402
    LoadConfig,
    LoadError,
    provision,
    require_loopback,
    run_load,
)


def main() -> int:
    """Parse the arguments, run the load, print the report; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--mix", choices=["mixed", "queries"], default="mixed")
    parser.add_argument("--rows-per-import", type=int, default=20)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--tto-key", action="append", default=[])
    parser.add_argument("--sme-key", action="append", default=[])
    parser.add_argument("--database-url", help="where to create keys (default: DATABASE_URL)")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    args = parser.parse_args()

    tto, sme = args.tto_key, args.sme_key
    try:
        require_loopback(args.url)  # before any key is created for it
        if not sme:
            url = args.database_url or get_settings().database_url
            tto, sme = provision(url, args.clients, label=str(args.seed))
        config = LoadConfig(
            base_url=args.url,
            tto_keys=tuple(tto),
            sme_keys=tuple(sme),
            clients=args.clients,
            seconds=args.seconds,
            max_requests=args.max_requests,
            mix=args.mix,
            rows_per_import=args.rows_per_import,
            seed=args.seed,
        )
        report = run_load(config)
    except LoadError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    print(report.to_text())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(asdict(report), out, ensure_ascii=False, indent=2)
    print("OK" if report.ok else "FAILED: errors or lost writes", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
