import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { InvalidTokenError, ServerError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import type { OAuthConfig } from "../config.js";
import { errorText } from "../errors.js";
import { log } from "../log.js";

/** jose codes that mean the token is bad, not that the identity provider could not be reached. */
const TOKEN_FAULTS = new Set([
  "ERR_JWT_EXPIRED",
  "ERR_JWT_CLAIM_VALIDATION_FAILED",
  "ERR_JWT_INVALID",
  "ERR_JWS_INVALID",
  "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
  "ERR_JWKS_NO_MATCHING_KEY",
  "ERR_JWKS_MULTIPLE_MATCHING_KEYS",
  "ERR_JOSE_ALG_NOT_ALLOWED",
  "ERR_JOSE_NOT_SUPPORTED",
]);

/**
 * Verifies JWT access tokens against the identity provider's JWKS (fetched and cached by jose),
 * its issuer and this server's audience; the client's name is the configured claim.
 */
export function jwtVerifier(oauth: OAuthConfig): (token: string) => Promise<AuthInfo> {
  const keys = createRemoteJWKSet(new URL(oauth.jwksUrl));
  return async (token) => {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: oauth.issuer, audience: oauth.audience, requiredClaims: ["exp"] }));
    } catch (error) {
      if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) {
        throw new InvalidTokenError(error instanceof errors.JWTExpired ? "Token has expired" : "Invalid token");
      }
      // The JWKS could not be fetched or read: the server's problem, not the client's.
      log.warn(`Cannot verify access tokens with TOKEN_METRICS_HTTP_JWKS_URL: ${errorText(error)}`);
      throw new ServerError("Cannot verify access tokens right now");
    }
    const name = payload[oauth.clientClaim];
    // No double quotes: the message is quoted inside the WWW-Authenticate header.
    if (typeof name !== "string" || name.length === 0) throw new InvalidTokenError(`Token has no ${oauth.clientClaim} claim naming the client`);
    const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
    return { token, clientId: name, scopes, expiresAt: payload.exp };
  };
}
