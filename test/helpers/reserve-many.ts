/**
 * A separate process reserving on a shared ledger file, for the test that processes racing for
 * the last room of a budget never pass it together: `tsx reserve-many.ts <file> <count> <limit> <at>`
 * reserves `count` payments of 17 000 each from the moment `at` (ms since the epoch, so that
 * every process starts together), refusing when the file's total would pass `limit`, and prints
 * how many it reserved.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { FileLedger } from "../../src/payer/ledger.js";

const [file, count, limit, at] = process.argv.slice(2);
const ledger = new FileLedger(file!);
await sleep(Number(at) - Date.now());
let reserved = 0;
// One by one, as calls arriving over time do (reservations of one process never interleave anyway).
for (let i = 0; i < Number(count); i++) {
  const nonce = `0x${process.pid.toString(16)}${i.toString(16).padStart(4, "0")}`;
  const entry = {
    event: "signed" as const,
    call: nonce,
    endpoint: "/trading-signals",
    network: "base-sepolia",
    asset: "USDC",
    amount: "17000",
    nonce,
    validBefore: String(Math.floor(Date.now() / 1000) + 60),
  };
  const refusal = await ledger.reserve(entry, (book) =>
    book.committed("USDC", { since: new Date(0) }) + 17_000n > BigInt(limit!) ? "over the limit" : undefined,
  );
  if (refusal === undefined) reserved++;
}
process.stdout.write(`${reserved}\n`);
