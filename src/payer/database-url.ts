import { scrub } from "../secret.js";

/** TOKEN_METRICS_LEDGER names a PostgreSQL database rather than a file. */
export const isDatabaseUrl = (ledger: string): boolean => /^postgres(ql)?:\/\//i.test(ledger);

/**
 * The database URL as people may see it: scheme, user, host, port and database, never the
 * password nor the query (where `password=` or `sslpassword=` may sit). Every secret found in the
 * URL is also given to `scrub()`, so that `redact()` removes it from any message quoting it.
 */
export function publicDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Unparsable: nothing of it can be shown safely.
    return "postgres://(an unparsable URL)";
  }
  if (parsed.password) scrub(decodeURIComponent(parsed.password));
  for (const [name, value] of parsed.searchParams) if (/password|key/i.test(name)) scrub(value);
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : "";
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
}
