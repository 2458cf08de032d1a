/** What every JSON request carries, whoever sends it: the API client, or the payer. */
export interface JsonRequest {
  method: "GET" | "POST";
  url: string;
  body?: string;
}

/** The headers of a JSON request, whatever pays for it. */
export function jsonHeaders(request: JsonRequest): Record<string, string> {
  return request.body === undefined ? { accept: "application/json" } : { accept: "application/json", "content-type": "application/json" };
}

/** An answer with its whole body read as text (its response's own stream is then spent). */
export async function readToEnd<Answer extends { response: Response }>(answer: Answer): Promise<Answer & { text: string }> {
  return { ...answer, text: await answer.response.text() };
}

/** A body longer than its reader's limit; `size` says by how much, as far as it is known ("70000 bytes", "over 65536 bytes"). */
export class BodyTooLarge extends Error {
  override name = "BodyTooLarge";

  constructor(readonly size: string) {
    super(`the body is ${size}`);
  }
}

/** Reads at most `limit` bytes; a longer body is refused (BodyTooLarge) without buffering it whole. */
export async function readBounded(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > limit || !response.body) {
    await response.body?.cancel();
    if (declared > limit) throw new BodyTooLarge(`${declared} bytes`);
    return "";
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new BodyTooLarge(`over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
