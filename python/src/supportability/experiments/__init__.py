"""Comparing model versions on live traffic (issue 13).

Pure statistics, no I/O: assignment.py (the documented hash), srm.py, sequential.py (confidence
sequences), ope.py (IPS, SNIPS, doubly robust), bandit.py (Thompson weights). definition.py and
store.py keep experiments as files in the registry; router.py is what the predictor assigns with;
readout.py and report.py read an experiment from the online store's outcomes; shadow.py scores
shadow versions off the request path. simulation.py and peeking.py simulate experiments whose
truth is known, for the tests and `python -m supportability.benchmarks.experiments`.
"""
