/** HS256 JWTs for the XUC simulator, with XUC's claims (login, expiresAt, issuedAt in ms, userType, acls). */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface XucClaims {
  login: string;
  expiresAt: number;
  issuedAt: number;
  userType: 'cti' | 'webservice';
  /** Listed in the token since XUC's Kuma release (the doc); the simulator can leave them out. */
  acls?: string[];
}

const b64 = (v: object | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');

export class JwtSigner {
  private key = randomBytes(32);

  sign(claims: XucClaims): string {
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    return `${head}.${b64(createHmac('sha256', this.key).update(head).digest())}`;
  }

  /** The claims of a token this signer issued (signature checked, expiry not), or undefined. */
  verify(token: string): XucClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const expected = createHmac('sha256', this.key).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2]!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      const c = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as XucClaims;
      return typeof c.login === 'string' && typeof c.expiresAt === 'number' ? c : undefined;
    } catch {
      return undefined;
    }
  }

  /** A new key: every token issued before is no longer XUC's (InvalidToken). */
  rotate(): void {
    this.key = randomBytes(32);
  }
}
