"""Test helpers: real servers (Redis, PostgreSQL) started as subprocesses."""
