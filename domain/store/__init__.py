"""Storage: Tortoise models, queries, the database configuration and migrations.

The only package that knows SQL or the ORM.
"""
