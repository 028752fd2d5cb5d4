"""Run the webhook receiver as its own process, for the crash test and the
benchmark: ``python tests/webhook_server.py DB PORT [PAUSE_MARKER]``.

With ``PAUSE_MARKER``, every delivery is parsed and ingested inside its
transaction and then, BEFORE the commit, the marker file is written and the
process waits: a SIGKILL then lands between receipt and commit. The receiver
itself is the real one (``collectors.webhooks``), run by uvicorn."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from replywatch.collectors.webhooks import DeliveryStore, serve  # noqa: E402
from replywatch.pipeline import ingest  # noqa: E402
from tests.webhook_support import ACCOUNTS, SECRETS  # noqa: E402


def main() -> None:
    db_path, port = sys.argv[1], int(sys.argv[2])
    marker = Path(sys.argv[3]) if len(sys.argv) > 3 else None

    def paused_ingest(db, messages, **kwargs):
        result = ingest(db, messages, **kwargs)
        if marker is not None:
            marker.write_text("in transaction", encoding="utf-8")
            time.sleep(600)  # killed here, before the commit
        return result

    serve(DeliveryStore(db_path, ACCOUNTS, paused_ingest), SECRETS, host="127.0.0.1", port=port)


if __name__ == "__main__":
    main()
