#!/usr/bin/env python
"""Tree queries at national scale: ancestors and subtree of villages in the 500,000-government tree.

A thin wrapper of the benchmark (``manage.py bench --only tree``), which builds the nation's tree with
``synthesize --scale nation`` in a scratch database of its own (a SQLite file in the temporary
directory, or with --postgres the database powerlists_bench_province on 127.0.0.1) and prints each
figure beside the same rows fetched by one hand-written SQL statement on the same index.

    .venv/bin/python scripts/bench_tree.py [--postgres] [--rebuild]
"""
import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL on 127.0.0.1 instead of SQLite")
    parser.add_argument("--rebuild", action="store_true", help="build the tree again")
    args = parser.parse_args()
    command = [sys.executable, str(ROOT / "manage.py"), "bench", "--only", "tree", "--scale", "province",
               "--postgres-only" if args.postgres else "--sqlite-only"]
    if args.rebuild:
        command.append("--rebuild")
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
