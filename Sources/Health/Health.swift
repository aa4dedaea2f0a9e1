// Health checks of PostgreSQL and the Redis-compatible server.
