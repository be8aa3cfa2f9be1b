"""voc's weekly batch on Apache Spark: see job.py."""
