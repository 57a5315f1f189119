/**
 * DNS-rebinding guard for the admin endpoints: on a loopback address they answer only a `Host`
 * that names loopback (`localhost`, 127.0.0.0/8 or `::1`, with an optional port). A DNS name is
 * never trusted for how it is spelled (`127.0.0.1.attacker.tld` can resolve to loopback for a
 * page the user opened), so a web page cannot read the report through a name it controls. The
 * memory server applies the same rule to its own front; the layers do not import each other.
 */
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether `name` (no brackets, no port) is `localhost` or a loopback IP literal. */
export function isLoopbackName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower === 'localhost') return true;
  const family = isIP(lower);
  return family !== 0 && LOOPBACK.check(lower, family === 4 ? 'ipv4' : 'ipv6');
}

/** Whether a `Host` header (`name`, `name:port`, `[v6]`, `[v6]:port`) names loopback. */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(header);
  if (bracketed !== null) return isIP(bracketed[1] as string) === 6 && isLoopbackName(bracketed[1] as string);
  const plain = /^([^:[\]\s]+)(?::\d{1,5})?$/.exec(header);
  return plain !== null && isLoopbackName(plain[1] as string);
}
