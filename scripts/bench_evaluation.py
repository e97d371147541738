#!/usr/bin/env python
"""Evaluation at scale: one round over 100,000 (item, town) pairs with evidence.

A thin wrapper of the benchmark (``manage.py bench --only evaluation``): the data (500 towns × 200
items devolved from one city, one evidence row per pair; :mod:`powerlists.bench.evaluation`) is built
with bulk_create in a scratch database of the benchmark's own (a SQLite file in the temporary
directory, or with --postgres a database on 127.0.0.1), then ``services.evaluation.run_round`` is
timed beside a baseline that reads the same inputs and writes as many rows by hand.

    .venv/bin/python scripts/bench_evaluation.py [--postgres] [--profile]
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL on 127.0.0.1 instead of SQLite")
    parser.add_argument("--profile", action="store_true", help="print where run_round spends its time if over 10 s")
    args = parser.parse_args()
    command = [sys.executable, str(ROOT / "manage.py"), "bench", "--only", "evaluation", "--scale", "county",
               "--postgres-only" if args.postgres else "--sqlite-only"]
    if args.profile:
        command.append("--profile")
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
