"""The online half: the prediction log, the outcome store, online metrics, drift and the online report.

store.py            the OnlineStore protocol and the plain records it returns
schema.py           the SQLAlchemy tables (behind the store; nothing else imports them)
database.py         engines, pragmas, one managed session per operation, schema checks
sql_store.py        the one OnlineStore implementation, on SQLite or PostgreSQL
columns.py          rows of the joined prediction/outcome read, turned into numpy columns
migrations/         Alembic revisions, shipped inside the package
writer.py           the single writer thread: group commit of logged predictions and outcomes
records.py          a served prediction and a sent outcome as the store's records (built in the
                    writer's process); the contract's enums as the store's names
messages.py         the OutcomeService's messages: validation, and the store's records as answers
loop.py             OnlineLoop: what the predictor and the server call (log, record, read)
evaluation.py       live metrics per version and window, with intervals; the label-free estimate
drift.py            PSI of inputs and outputs against the reference in a version's manifest
report.py, plots.py `supportability online report`: HTML, PNG plots, metrics.json
monitor.py          the same key figures as Prometheus gauges, and the below-target alarm
simulate.py         synthetic traffic with known outcomes, sent to a running server (`simulate`)
synthetic.py        simulated logs whose truth is known, for the estimators' tests and the bench
training_data.py    training cases from stored outcomes, and the new-vs-serving comparison
"""
