import type { Endpoint } from "../catalog/types.js";
import type { ApiResult } from "../api/client.js";

/** Longest tool result text we hand to a model; agents choke on huge JSON. */
export const MAX_RESULT_CHARS = 16_000;
/** Long texts (AI reports) are cut to this many characters when the result is too big. */
const CUT_STRING_CHARS = 1_200;

export interface ShapedResult {
  structured: Record<string, unknown>;
  text: string;
}

type Row = Record<string, unknown>;

/**
 * Turns the API's envelope into a compact answer: only the requested fields, at most
 * MAX_RESULT_CHARS, and a note saying what was cut and how to get the rest.
 */
export function shapeResult(
  endpoint: Endpoint,
  args: Record<string, unknown>,
  body: unknown,
  { payment, reused, warning }: Pick<ApiResult, "payment" | "reused"> & { warning?: string } = {},
): ShapedResult {
  const envelope = (body && typeof body === "object" ? body : { data: body }) as Row;
  const notes: string[] = [];
  const structured: Row = { endpoint: endpoint.path };

  if (Array.isArray(envelope.data)) {
    let rows = envelope.data.filter((row): row is Row => !!row && typeof row === "object");
    const wanted = args.fields as string[] | undefined;
    if (wanted) rows = selectFields(rows, wanted, notes);
    structured.success = envelope.success ?? true;
    if (typeof envelope.message === "string") structured.message = envelope.message;
    if (rows.length === 0) notes.push("No data matched. Try other filters, a wider date range, or check the token id with get_tokens.");
    if (args.page !== undefined) structured.page = args.page;
    structured.data = rows;
  } else {
    Object.assign(structured, envelope);
  }
  if (payment) structured.payment = payment;
  if (reused) {
    structured.reused = reused;
    notes.push(`Answer reused from a ${reused.source} (fetched ${reused.fetchedAt}); nothing was paid for it.`);
  }
  if (warning) notes.push(warning);

  const fitted = fitToSize(structured, notes);
  if (notes.length > 0) fitted.note = notes.join(" ");
  return { structured: fitted, text: JSON.stringify(fitted) };
}

function selectFields(rows: Row[], wanted: string[], notes: string[]): Row[] {
  const available = new Set(rows.flatMap((row) => Object.keys(row)));
  const byUpper = new Map([...available].map((name) => [name.toUpperCase(), name]));
  const keep = wanted.map((name) => byUpper.get(name.toUpperCase())).filter((name): name is string => name !== undefined);
  const unknown = wanted.filter((name) => !byUpper.has(name.toUpperCase()));
  if (unknown.length > 0 && rows.length > 0) {
    notes.push(`Unknown fields ignored: ${unknown.join(", ")}. Available: ${[...available].join(", ")}.`);
  }
  if (keep.length === 0) return rows;
  return rows.map((row) => Object.fromEntries(keep.filter((name) => name in row).map((name) => [name, row[name]])));
}

const size = (value: unknown) => JSON.stringify(value).length;

function fitToSize(structured: Row, notes: string[]): Row {
  // Leave room for the note itself.
  const budget = MAX_RESULT_CHARS - 600;
  if (size(structured) <= budget) return structured;

  let result = cutLongStrings(structured) as Row;
  notes.push(`Long text fields were cut to ${CUT_STRING_CHARS} characters; ask for one token and fewer fields to read more.`);
  const rows = result.data;
  if (Array.isArray(rows) && size(result) > budget) {
    const total = rows.length;
    const kept = [...rows];
    while (kept.length > 1 && size({ ...result, data: kept }) > budget) kept.pop();
    result = { ...result, data: kept };
    notes.push(`Showing ${kept.length} of ${total} rows to stay small; use limit/page or fields for the rest.`);
  }
  return result;
}

function cutLongStrings(value: unknown): unknown {
  if (typeof value === "string") {
    return value.length > CUT_STRING_CHARS ? `${value.slice(0, CUT_STRING_CHARS)}… [cut, ${value.length} chars in all]` : value;
  }
  if (Array.isArray(value)) return value.map(cutLongStrings);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, cutLongStrings(inner)]));
  }
  return value;
}
