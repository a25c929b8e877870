"""Samples and poll records come back from the store exactly as written, every column, on
SQLite (rows handed to the driver as tuples) and on PostgreSQL (SQLAlchemy's batched insert)."""

from __future__ import annotations

from govnet.monitor.store import PollRecord, Sample, open_store


def test_samples_and_polls_round_trip_every_column(store_url: str) -> None:
    store = open_store(store_url)
    try:
        written = [
            Sample(1000.0 + i, "hub-1", f"eth{i}", "L1" if i % 2 else None, 1e6 * i, 2e6, 12.5,
                   0.1 * i, 0.0, None, 3.0, -7.25 if i else None)
            for i in range(60)
        ]  # fmt: skip
        store.write_samples(written)
        polls = [
            PollRecord(1000.0, "hub-1", "1/1", 7, True, 0.25, 784, None),
            PollRecord(1001.5, "cpe-2", "1/1", -1, False, 10.0, 0, "no answer in 5 s × 2; 'quoted' \"too\""),
        ]
        store.write_polls(polls)
        back = [s for i in range(60) for s in store.samples("hub-1", f"eth{i}")]
        assert back == written
        assert store.polls(0.0) == polls
    finally:
        store.close()
