//! A blocking PostgreSQL client over tokio-postgres.
