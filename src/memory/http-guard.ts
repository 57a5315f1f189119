/**
 * Who may talk to the memory server's HTTP front: the checks made on every request before it
 * reaches a session.
 *
 * - **Loopback names.** On a loopback address the server answers only a `Host` (and an `Origin`,
 *   when a browser sends one) that names loopback: `localhost` itself, or an IP literal of
 *   127.0.0.0/8 or `::1` (bracketed in a header: `[::1]:8788`), each with an optional port. A DNS
 *   name is never trusted because of how it is spelled: `127.evil.example` or
 *   `127.0.0.1.attacker.tld` can resolve to loopback for a web page the user opened (DNS
 *   rebinding), so such a page would otherwise reach the graph.
 * - **Bearer token.** With a token, every request must carry `Authorization: Bearer <token>`;
 *   the comparison takes the same time whatever the token given (both sides are hashed first, so
 *   even the lengths are not compared directly). Off loopback a token is required.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `name` (a host name or an IP literal, without brackets or port) is loopback:
 * `localhost`, an address of 127.0.0.0/8, or `::1`.
 */
export function isLoopbackName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower === 'localhost') return true;
  const family = isIP(lower);
  if (family === 0) return false;
  return LOOPBACK.check(lower, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host name in a `Host` header (`name`, `name:port`, `[v6]` or `[v6]:port`); `undefined` if malformed. */
export function hostOfHeader(header: string): string | undefined {
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(header);
  if (bracketed !== null) return isIP(bracketed[1]!) === 6 ? bracketed[1] : undefined;
  const plain = /^([^:[\]\s]+)(?::(\d{1,5}))?$/.exec(header);
  return plain === null ? undefined : plain[1];
}

/** Whether a `Host` header names loopback. */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = hostOfHeader(header);
  return name !== undefined && isLoopbackName(name);
}

/** Whether an `Origin` header is a loopback page (`http://localhost:3000`, `http://[::1]`, ...). */
export function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const name = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isLoopbackName(name);
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** A check of `Authorization: Bearer <token>` against `token`, in constant time. */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const m = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    // A missing header is still hashed and compared, so the answer takes the same time.
    const given = digest(m === null ? '' : m[1]!);
    return timingSafeEqual(given, expected) && m !== null;
  };
}
