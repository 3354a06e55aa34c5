"""The server state store: everything that is not a vector, in PostgreSQL (QA_DATABASE_URL), shared by app servers
on several machines. The same parts as the SQLite catalog (records, journal, keywords, texts), the chats and the
upload bookkeeping, over one PgConnection; chosen by the composition root (assistant/app/compose.py)."""
