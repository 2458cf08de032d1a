import { describeSettings, SWITCHES } from "./config.js";
import { PACKAGE_NAME, PACKAGE_VERSION } from "./package-info.js";

/** `--help`: usage, flags and every setting, generated from the configuration schema. */
export function helpText(): string {
  const settings = describeSettings().flatMap(({ variable, flag, shownDefault, help }) => [
    `  ${variable}${flag ? `, --${flag} <value>` : ""}  (default: ${shownDefault})`,
    `      ${help}`,
  ]);
  const switches = Object.entries(SWITCHES).map(([flag, { short, help }]) => `  ${short ? `-${short}, ` : ""}--${flag}`.padEnd(18) + help);
  return [
    `${PACKAGE_NAME} ${PACKAGE_VERSION}: the Token Metrics API as MCP tools, paid per call with x402 (or an API key).`,
    "",
    "Usage:",
    `  ${PACKAGE_NAME} [flags]          serve MCP over stdio (what MCP clients start)`,
    `  ${PACKAGE_NAME} --http [flags]   serve Streamable HTTP on http://127.0.0.1:3402/mcp`,
    `  ${PACKAGE_NAME} pause [--reason TEXT] [--ledger PATH|URL]   stop every server sharing the ledger from paying`,
    `  ${PACKAGE_NAME} resume [--ledger PATH|URL]                  let them pay again (no tool can)`,
    `  ${PACKAGE_NAME} ledger export [--ledger PATH|URL]           every payment event as JSONL on stdout`,
    `  ${PACKAGE_NAME} ledger import --from FILE [--ledger URL]    a ledger file's events into PostgreSQL (re-runnable)`,
    `  ${PACKAGE_NAME} doctor [--endpoint PATH]   check settings, RPC, balances and the API's challenge, without paying`,
    `  ${PACKAGE_NAME} approve-permit2 --asset tmai --amount N [--yes]   the one-time Permit2 approval for TMAI`,
    "",
    "Flags:",
    ...switches,
    "",
    "Settings (environment variables; the flag shown overrides its variable; empty values count as unset):",
    ...settings,
    "",
    "Without credentials the free tools work and paid tools say their price. Docs: README.md.",
    "",
  ].join("\n");
}
