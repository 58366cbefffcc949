"""Where iru keeps things: the SQL database, the Parquet post archive, and their migrations."""
