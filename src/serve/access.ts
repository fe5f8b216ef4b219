// Which requests may reach the backend at all. Any web page a user opens can make their browser
// send requests to a loopback port, and serve would spend the backend's key on them; these checks
// keep browsers out unless a page was let in on purpose:
// - `Origin`: only loopback pages and the origins given with --allow-origin;
// - `Sec-Fetch-Site: cross-site` without an Origin (a page's image, script or link): refused;
// - `Host`: only the names serve listens under, so a rebound DNS name (evil.example → 127.0.0.1)
//   does not make the browser treat serve as the attacker's own site;
// - POST bodies must be `application/json`, which a page cannot send without a CORS preflight
//   (a POST with no body at all has nothing to check);
// - preflights are answered for allowed origins only.
import { isLoopbackHost } from "../platform/mod.ts";
import { RequestError } from "./errors.ts";

export interface AccessOptions {
  /** Origins (`scheme://host[:port]`) whose pages may call serve, besides loopback ones. */
  allowedOrigins?: readonly string[];
  /** The host serve listens on; a wildcard (0.0.0.0, ::) accepts any Host. Default: loopback. */
  listenHostname?: string;
}

const WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);
const METHODS = "GET, POST, DELETE, OPTIONS";
const HEADERS = "authorization, content-type, x-api-key, openai-organization, openai-project";

/** The host name of a Host header value (`name:port`, `[v6]:port`). */
function hostnameOf(host: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(host);
  return (v6 ? v6[1] : host.replace(/:\d*$/, "")).toLowerCase();
}

/** A POST with nothing in it (a cancel) has no content type to check. */
function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  return length === null ? request.headers.has("transfer-encoding") : length !== "0";
}

function isJson(contentType: string | null): boolean {
  return contentType?.split(";")[0].trim().toLowerCase() === "application/json";
}

export class AccessPolicy {
  readonly #origins: ReadonlySet<string>;
  readonly #listen?: string;

  constructor(options: AccessOptions = {}) {
    this.#origins = new Set(options.allowedOrigins ?? []);
    this.#listen = options.listenHostname?.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  }

  originAllowed(origin: string): boolean {
    if (this.#origins.has(origin)) return true;
    try {
      const url = new URL(origin);
      return (url.protocol === "http:" || url.protocol === "https:") &&
        isLoopbackHost(url.hostname);
    } catch {
      return false; // `null` (sandboxed frames, files) and anything else unparsable
    }
  }

  hostAllowed(host: string): boolean {
    const name = hostnameOf(host);
    if (isLoopbackHost(name)) return true;
    if (this.#listen === undefined || isLoopbackHost(this.#listen)) return false;
    return WILDCARD.has(this.#listen) || name === this.#listen;
  }

  /** Why `request` is refused before routing, or undefined when it may go on. */
  refusal(request: Request): RequestError | undefined {
    const host = request.headers.get("host") ?? new URL(request.url).host;
    if (!this.hostAllowed(host)) {
      return new RequestError(
        403,
        `Host "${host}" is not a name this server listens under; connect to it by its own ` +
          `address (e.g. 127.0.0.1), not through another DNS name`,
        "forbidden_host",
      );
    }
    const origin = request.headers.get("origin");
    if (origin !== null && !this.originAllowed(origin)) {
      return new RequestError(
        403,
        `requests from web pages at ${origin} are refused; if that page should use this server, ` +
          `start it with --allow-origin ${origin}`,
        "forbidden_origin",
      );
    }
    // Browsers leave the Origin out of a page's no-cors requests (<img src>, <script src>, links)
    // but say where they come from in Sec-Fetch-Site; without an Origin to check, another site's
    // request is refused. curl and SDKs send neither header.
    if (origin === null && request.headers.get("sec-fetch-site")?.toLowerCase() === "cross-site") {
      return new RequestError(
        403,
        "requests that a page on another site makes without an Origin (images, scripts, links) " +
          "are refused; a page allowed with --allow-origin must call with fetch or a WebSocket",
        "forbidden_site",
      );
    }
    if (
      request.method === "POST" && hasBody(request) && !isJson(request.headers.get("content-type"))
    ) {
      return new RequestError(
        415,
        "POST bodies must be JSON sent with `Content-Type: application/json`",
        "unsupported_media_type",
      );
    }
    return undefined;
  }

  /** The answer to a CORS preflight (OPTIONS), after `refusal` let it through. */
  preflight(request: Request): Response {
    const origin = request.headers.get("origin");
    const headers: Record<string, string> = { allow: METHODS };
    if (origin !== null) {
      Object.assign(headers, this.#cors(origin), {
        "access-control-allow-methods": METHODS,
        "access-control-allow-headers": request.headers.get("access-control-request-headers") ??
          HEADERS,
        "access-control-max-age": "600",
      });
      // Chrome asks before a public page may reach a private address; an allowed page may.
      if (request.headers.get("access-control-request-private-network") === "true") {
        headers["access-control-allow-private-network"] = "true";
      }
    }
    return new Response(null, { status: 204, headers });
  }

  /** `response` with the CORS headers an allowed page needs to read it. */
  decorate(request: Request, response: Response): Response {
    const origin = request.headers.get("origin");
    if (origin === null) return response;
    for (const [name, value] of Object.entries(this.#cors(origin))) {
      response.headers.set(name, value);
    }
    return response;
  }

  #cors(origin: string): Record<string, string> {
    return { "access-control-allow-origin": origin, vary: "Origin" };
  }
}
