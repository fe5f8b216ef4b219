// The storage server's routes and header, shared by the server and its client.

/** The hex SHA-256 of a sealed home, sent with it both ways. */
export const SHA256_HEADER = "x-tscodex-sha256";
export const HEALTH_PATH = "/healthz";
export const PUT_PATH = "/v1/storage/put";
/** Followed by the call id. */
export const CALL_PATH = "/v1/storage/call/";
