"""ftcluster: fault-tolerant ML training clusters on AWS from one YAML spec per region."""

__version__ = "0.2.0"  # the one place the version lives (pyproject reads it)
