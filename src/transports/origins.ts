/**
 * DNS-rebinding protection for the HTTP transport: the Host names and Origins a request may carry (loopback ones on
 * the bound port, plus http.allowedHosts and http.allowedOrigins), and the CORS headers an allowed Origin gets.
 */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1', '[::1]'];

/** Host header values accepted for a server bound to `host` on `port`. */
export function allowedHosts(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const names = new Set(LOOPBACK_HOSTS);
  if (!['0.0.0.0', '::'].includes(host)) names.add(host.toLowerCase());
  const set = new Set<string>();
  for (const n of names) set.add(`${n.includes(':') && !n.startsWith('[') ? `[${n}]` : n}:${port}`);
  for (const h of extra) set.add(h.toLowerCase());
  return set;
}

/** Origin header values accepted on `port`. */
export function allowedOrigins(port: number, extra: readonly string[] = []): Set<string> {
  const set = new Set<string>();
  for (const n of ['127.0.0.1', 'localhost', '[::1]']) {
    set.add(`http://${n}:${port}`);
    set.add(`https://${n}:${port}`);
  }
  for (const o of extra) set.add(new URL(o).origin);
  return set;
}

export function corsHeaders(origin: string | undefined): Record<string, string> {
  return origin
    ? {
        'access-control-allow-origin': origin,
        'access-control-expose-headers': 'mcp-session-id, mcp-protocol-version, www-authenticate',
        vary: 'Origin',
      }
    : {};
}
