import { createHash, timingSafeEqual } from "node:crypto";

/** One client allowed over HTTP: its name and the SHA-256 of its bearer token (the token itself is not kept). */
export interface ClientToken {
  name: string;
  hash: Buffer;
}

/** Names are used in logs, the ledger and budget lists ("alice:1 USDC"), so no separators. */
const CLIENT_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
/** A token guards a wallet: anything shorter is guessable. */
const MIN_TOKEN_LENGTH = 16;

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Parses `name:token` entries separated by commas or newlines (blank lines and `#` comments are
 * skipped, for files). Returns the problems instead of throwing, so the caller names the variable
 * or file. Problems cite an entry by its position, never its text: that text holds a token.
 */
export function parseTokenList(text: string): { clients: ClientToken[]; problems: string[] } {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0 && !entry.startsWith("#"));
  const clients: ClientToken[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const at = `entry ${index + 1}`;
    const colon = entry.indexOf(":");
    const name = colon === -1 ? "" : entry.slice(0, colon).trim();
    const token = colon === -1 ? "" : entry.slice(colon + 1).trim();
    if (colon === -1) problems.push(`${at} is not name:token`);
    else if (!CLIENT_NAME.test(name)) problems.push(`${at} needs a name of letters, digits, ".", "_", "@" or "-" before the ":"`);
    else if (token.length < MIN_TOKEN_LENGTH)
      problems.push(`${at} (${name}) needs a token of at least ${MIN_TOKEN_LENGTH} characters after the ":", e.g. from \`openssl rand -hex 32\``);
    else if (clients.some((client) => client.name === name)) problems.push(`${at}: the name ${name} is listed twice`);
    else {
      const hash = sha256(token);
      if (clients.some((client) => client.hash.equals(hash))) problems.push(`${at} (${name}) reuses another client's token`);
      else clients.push({ name, hash });
    }
  });
  if (entries.length === 0) problems.push("lists no client (expected name:token, e.g. alice:<token>)");
  return { clients, problems };
}

/**
 * The client a presented token belongs to. Compares fixed-length hashes in constant time and
 * looks at every entry, so neither the time taken nor an early exit tells how close a guess was.
 */
export function clientForToken(clients: readonly ClientToken[], token: string): string | undefined {
  const hash = sha256(token);
  let found: string | undefined;
  for (const client of clients) {
    if (timingSafeEqual(client.hash, hash)) found = client.name;
  }
  return found;
}
