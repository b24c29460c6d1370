"""Batch scoring: a file of cases in, a Parquet file of predictions out.

- `columns.py`: the output's columns (one per task output, the prediction id and the version),
  built from a model's results;
- `local.py`: the local engine, streaming the input in chunks, so a file larger than memory
  scores in bounded memory;
- `spark.py`: the same on Apache Spark (`mapInPandas`, the model loaded once per Python worker
  from the registry), and a column UDF for SQL users. Only this module imports PySpark, and
  nothing in the serving path imports it.

Both engines give what the in-process batch path gives: the same model, the same cases, the same
labels, and probabilities equal to within float rounding.
"""
