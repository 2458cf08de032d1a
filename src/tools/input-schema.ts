import { z } from "zod";
import { fields, limit, page } from "../catalog/params.js";
import type { Endpoint } from "../catalog/types.js";

/**
 * The tool's input schema: the endpoint's own parameters, pagination and `fields`, as a strict
 * object so a misspelt parameter is an error the model can fix rather than a silently ignored
 * filter on a paid call.
 */
export function inputSchemaFor(endpoint: Endpoint) {
  const paging: Record<string, z.ZodType> = endpoint.pagination === "limit-page" ? { limit, page } : endpoint.pagination === "top_k" ? { page } : {};
  const shape = { ...endpoint.params, ...paging, ...(endpoint.method === "GET" ? { fields } : {}) };
  // Every parameter is optional in the schema; the required ones are checked by requireOneOf.
  const optional = Object.fromEntries(Object.entries(shape).map(([name, schema]) => [name, schema.optional()]));
  return z.strictObject(optional).superRefine((args: Record<string, unknown>, ctx) => {
    const oneOf = endpoint.requireOneOf;
    if (oneOf && !oneOf.some((name) => args[name] !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [oneOf[0]!],
        message: oneOf.length === 1 ? `${oneOf[0]} is required` : `give one of ${oneOf.join(", ")}`,
      });
    }
    if (typeof args.startDate === "string" && typeof args.endDate === "string" && args.startDate > args.endDate) {
      ctx.addIssue({ code: "custom", path: ["endDate"], message: "endDate must not be before startDate" });
    }
  });
}
