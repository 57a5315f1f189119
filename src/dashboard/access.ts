/**
 * Who may use the dashboard: the checks made on every request before it reaches a route.
 *
 * - **Token.** Every request carries the access token: as `?token=` (the URL the CLI prints),
 *   `Authorization: Bearer <token>`, an `X-Warden-Token` header, or the `warden_dashboard`
 *   cookie the page sets when it is opened with a good `?token=` (HttpOnly, SameSite=Strict,
 *   so the page's scripts, styles and event stream need no token in their URLs). Without it:
 *   401. Tokens are compared in constant time (both sides hashed first).
 * - **Cross-site requests.** A request that changes state (anything but GET and HEAD) must carry
 *   the token in a header or the cookie, never only in the URL (a URL leaks: history, logs,
 *   Referer); it is refused with 403 when the browser says another site sent it
 *   (`Sec-Fetch-Site` other than `same-origin` or `none`) or its `Origin` is not the
 *   dashboard's own. Bodies must be JSON (routes check `Content-Type`), which a plain HTML form
 *   on another site cannot send.
 * - **Loopback names.** Listening on loopback, a request whose `Host` is not a loopback name is
 *   refused (403): a page on another site cannot reach the dashboard by rebinding its DNS name
 *   to 127.0.0.1.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isLoopbackHost } from '../memory/index.ts';

export const TOKEN_COOKIE = 'warden_dashboard';

export type AccessVerdict =
  | { readonly ok: true; readonly via: 'query' | 'header' | 'cookie' }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/** A new random access token (32 bytes, base64url). */
export function newDashboardToken(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The checks for one dashboard: its token, and whether it listens on loopback. */
export function accessCheck(token: string, loopback: boolean): (request: Request) => AccessVerdict {
  const expected = digest(token);
  const matches = (given: string | undefined): boolean => given !== undefined && timingSafeEqual(digest(given), expected);
  return (request) => {
    const url = new URL(request.url);
    const host = request.headers.get('host') ?? url.host;
    if (loopback && !isLoopbackHost(hostName(host))) {
      return { ok: false, status: 403, message: `Host "${host}" is not a loopback name; open the dashboard at the URL it printed` };
    }
    const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    const header = bearer ?? request.headers.get('x-warden-token') ?? undefined;
    const cookie = cookieValue(request.headers.get('cookie'), TOKEN_COOKIE);
    const query = url.searchParams.get('token') ?? undefined;
    const via = matches(header) ? 'header' : matches(cookie) ? 'cookie' : matches(query) ? 'query' : undefined;
    if (via === undefined) {
      const given = header ?? cookie ?? query;
      return {
        ok: false,
        status: 401,
        message: given === undefined ? 'the access token is missing: open the URL `warden dashboard` printed' : 'the access token is wrong',
      };
    }
    if (request.method === 'GET' || request.method === 'HEAD') return { ok: true, via };
    if (via === 'query') {
      return {
        ok: false,
        status: 401,
        message: `a ${request.method} needs the token in the Authorization (Bearer) or X-Warden-Token header, or the cookie, not in the URL`,
      };
    }
    const site = request.headers.get('sec-fetch-site');
    if (site !== null && site !== 'same-origin' && site !== 'none')
      return { ok: false, status: 403, message: `cross-site request refused (Sec-Fetch-Site: ${site})` };
    const origin = request.headers.get('origin');
    if (origin !== null && origin !== `${url.protocol}//${host}`)
      return { ok: false, status: 403, message: `cross-origin request refused (Origin: ${origin})` };
    return { ok: true, via };
  };
}

/** The host name in a `Host` header (`name:port`, `[v6]:port`), brackets kept for IPv6. */
function hostName(header: string): string {
  const v6 = /^(\[[^\]]*\])(?::\d+)?$/.exec(header);
  if (v6 !== null) return v6[1]!;
  return header.replace(/:\d+$/, '');
}

function cookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** The `Set-Cookie` value that keeps the token for the page's own requests. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}
