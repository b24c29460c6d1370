"""Comparing model versions on live traffic (issue 13).

Pure statistics, no I/O: assignment.py (the documented hash), srm.py, sequential.py (confidence
sequences), cuped.py (pre-period adjustment), ope.py (IPS, SNIPS, doubly robust), bandit.py
(Thompson weights), shadow_readout.py (a shadow against the served version, paired). definition.py and
store.py keep experiments as files in the registry; router.py is what the predictor assigns with;
readout.py and report.py read an experiment from the online store's outcomes; shadow.py scores
shadow versions off the request path; updates.py runs the bandits' batches for the server.
simulation.py and peeking.py simulate experiments whose truth is known, for the tests and
`python -m supportability.benchmarks.experiments`.
"""
