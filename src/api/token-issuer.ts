// The issuer of every token kplex signs: shared by the signer (auth/) and by the response rewrite
// that keeps host-signed tokens out of token Secrets (rewrite/), so neither imports the other.
export const TOKEN_ISSUER = 'https://kplex.io/tokens';
