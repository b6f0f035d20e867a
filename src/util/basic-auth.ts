/** The Authorization header value for HTTP Basic (RFC 7617, UTF-8). */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
