"""The benchmark: the product's figures at scale, each beside a baseline measured in the same run.

``python manage.py bench [--scale county|province] [--quick] [--postgres-only | --sqlite-only]``

The command never touches the developer's database. For each database it prepares a scratch one of its
own — ``powerlists_bench_<scale>`` on the PostgreSQL server (``BENCH_POSTGRES_URL``, default
``postgres://postgres@127.0.0.1:5432/``) and a SQLite file in the temporary directory — builds the data
there with :mod:`powerlists.synthesize` when it is not there yet (``--rebuild`` starts over), and runs
the measurements in a child process pointed at it (:mod:`powerlists.bench.figures`). The quick mode
(CI) uses the county scale in a fresh database, three repetitions and a load test of two seconds.

Modules: :mod:`.runner` (scratch databases, the child process), :mod:`.figures` (what is measured and
its baselines), :mod:`.load` (gunicorn and the load generator), :mod:`.evaluation` (the data of an
evaluation round), :mod:`.report` (lines, machine).
"""
