"""The online half: the prediction log, the outcome store, online metrics, drift and the online report.

store.py            the OnlineStore protocol and the plain records it returns
schema.py           the SQLAlchemy tables (behind the store; nothing else imports them)
database.py         engines, pragmas, one managed session per operation, schema checks
sql_store.py        the one OnlineStore implementation, on SQLite or PostgreSQL
writer.py           the single writer thread: group commit of logged predictions and outcomes
outcomes.py         the OutcomeService's behaviour: validation, conversion, the in-process core
migrations/         Alembic revisions, shipped inside the package
simulate.py         synthetic traffic with known outcomes, sent to a running server (`simulate`)
training_data.py    training cases from stored outcomes, and the new-vs-serving comparison
"""
