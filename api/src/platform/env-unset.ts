/**
 * An empty value means "not set". Docker Compose passes `NAME=` from an env file as an empty
 * string, and a blank line must fall back to the default exactly as a missing one does. The
 * config loader and prisma.config.ts (so also `prisma migrate deploy` in entrypoint.sh) read
 * the environment through this one function.
 */
export function withoutEmptyValues(source: Record<string, string | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && value.trim() !== "") kept[name] = value;
  }
  return kept;
}

/**
 * The URL migrations and advisory locks use: the direct connection when given, else
 * DATABASE_URL (a transaction-mode pooler cannot hold Prisma's migration lock).
 */
export function migrationDatabaseUrl(source: Record<string, string | undefined>): string | undefined {
  const env = withoutEmptyValues(source);
  return env.DIRECT_DATABASE_URL ?? env.DATABASE_URL;
}
