import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { getOAuthProtectedResourceMetadataUrl } from "@modelcontextprotocol/sdk/server/auth/router.js";
import type { Express, Request, RequestHandler } from "express";
import type { HttpConfig } from "../config.js";
import { log } from "../log.js";
import { SERVER_NAME } from "../server.js";
import { jwtVerifier } from "./jwt.js";
import { clientForToken } from "./tokens.js";

/** Where the MCP endpoint is served; RFC 9728 derives the metadata path from it. */
export const MCP_PATH = "/mcp";

/**
 * The access check for /mcp, run before the body is read: a request without a valid bearer token
 * (a listed static token or, with OAuth, a JWT from the identity provider) gets 401 with
 * `WWW-Authenticate: Bearer` and a JSON body, so nothing is parsed, called or paid. The SDK's
 * requireBearerAuth sets `req.auth`, which the transport hands to tool handlers as `authInfo`.
 * On loopback with nothing configured every request passes (logged once at start).
 */
export function authenticate(http: HttpConfig): RequestHandler {
  const { tokens, oauth } = http.auth;
  if (tokens.length === 0 && !oauth) {
    log.warn("HTTP without authentication: any program on this machine can spend from the wallet through it. Set TOKEN_METRICS_HTTP_TOKENS to require tokens.");
    return (_req, _res, next) => next();
  }
  const verifyJwt = oauth ? jwtVerifier(oauth) : undefined;
  const verifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const name = clientForToken(tokens, token);
      // Static tokens do not expire; the SDK insists on a number.
      if (name) return { token, clientId: name, scopes: [], expiresAt: Number.POSITIVE_INFINITY };
      if (verifyJwt) return verifyJwt(token);
      throw new InvalidTokenError("Invalid token");
    },
  };
  if (!oauth) return requireBearerAuth({ verifier });
  // With OAuth the 401 points clients at the metadata for the URL they used.
  return (req, res, next) => requireBearerAuth({ verifier, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(resourceUrl(http, req)) })(req, res, next);
}

/**
 * Serves RFC 9728 protected-resource metadata, as the MCP authorization spec asks: at the
 * path-suffixed well-known URL for /mcp, and at the bare one for clients that try it first.
 */
export function serveResourceMetadata(app: Express, http: HttpConfig): void {
  const oauth = http.auth.oauth;
  if (!oauth) return;
  const metadataPath = new URL(getOAuthProtectedResourceMetadataUrl(new URL(MCP_PATH, "http://localhost"))).pathname;
  app.get([metadataPath, "/.well-known/oauth-protected-resource"], (req, res) => {
    res.json({
      resource: resourceUrl(http, req).href,
      authorization_servers: [oauth.issuer],
      bearer_methods_supported: ["header"],
      resource_name: SERVER_NAME,
    });
  });
}

/** The URL clients use for /mcp: the configured public one, else what this request was sent to (its Host is already checked). */
function resourceUrl(http: HttpConfig, req: Request): URL {
  return new URL(http.publicUrl ?? `${req.protocol}://${req.get("host")}${MCP_PATH}`);
}
