"""Issue 12: bench/store prints what one booking costs on Airtable, in
requests and in the guest's wait, with and without Redis (here one guest
a row, the shortest run)."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_store_prints_requests_and_wait_with_and_without_redis():
    p = subprocess.run([str(REPO / "bench" / "store"), "--only-bookings",
                        "--bookings", "1"], cwd=REPO, capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    rows = {}
    for line in p.stdout.splitlines():
        m = re.match(r"(\d+ ms, (?:no )?Redis)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    assert set(rows) == {"0 ms, no Redis", "0 ms, Redis",
                         "150 ms, no Redis", "150 ms, Redis"}, p.stdout
    # a booking is a handful of requests, and the guest waits for them
    assert all(1 <= req <= 12 and wait > 0 for req, wait in rows.values()), \
        rows
    assert "Reserva confirmada" in p.stdout, p.stdout
