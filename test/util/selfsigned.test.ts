/** The DER-built self-signed certificate: Node parses it, it verifies, and TLS clients accept it as their CA. */
import { X509Certificate } from 'node:crypto';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/util/selfsigned.js';

/** Complete a TLS handshake to a server using `server` cert/key, trusting `ca`, asking for `host`. */
async function handshake(server: { cert: string; key: string }, ca: string, host: string): Promise<string> {
  const srv = createServer({ cert: server.cert, key: server.key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  try {
    return await new Promise<string>((resolve) => {
      // Node verifies the chain against `ca` and the name against `servername` (or `host` for an IP).
      const s = connect({ host: '127.0.0.1', port, ca, ...(host === '127.0.0.1' ? {} : { servername: host }) });
      s.once('secureConnect', () => {
        s.end();
        resolve('ok');
      });
      s.once('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
    });
  } finally {
    srv.close();
  }
}

describe('selfSignedCertificate', () => {
  it('builds a v3 certificate Node parses, self-signed, valid now, with the asked names', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const { cert, key } = selfSignedCertificate({ commonName: 'kalliope sim', now, days: 30 });
    expect(cert).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);
    expect(key).toMatch(/BEGIN PRIVATE KEY/);
    const x = new X509Certificate(cert);
    expect(x.subject).toBe('CN=kalliope sim');
    expect(x.issuer).toBe(x.subject);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.ca).toBe(true);
    expect(new Date(x.validFrom).getTime()).toBe(now.getTime() - 86_400_000);
    expect(new Date(x.validTo).getTime()).toBe(now.getTime() + 30 * 86_400_000);
    expect(x.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('10.0.0.1')).toBeUndefined();
    expect(x.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('writes GeneralizedTime after 2049 and other alt names as given', () => {
    const { cert } = selfSignedCertificate({ now: new Date('2060-01-01T00:00:00Z'), days: 400, altNames: ['pbx.example', '10.1.2.3', 'fe80::1'] });
    const x = new X509Certificate(cert);
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2061);
    expect(x.subjectAltName).toBe('DNS:pbx.example, IP Address:10.1.2.3, IP Address:FE80:0:0:0:0:0:0:1');
  });

  it('is a new key and serial every time', () => {
    const a = new X509Certificate(selfSignedCertificate().cert);
    const b = new X509Certificate(selfSignedCertificate().cert);
    expect(a.serialNumber).not.toBe(b.serialNumber);
    expect(a.fingerprint256).not.toBe(b.fingerprint256);
  });

  it('is accepted by a TLS client that trusts it, for 127.0.0.1 and localhost, and refused otherwise', async () => {
    const pair = selfSignedCertificate();
    expect(await handshake(pair, pair.cert, '127.0.0.1')).toBe('ok');
    expect(await handshake(pair, pair.cert, 'localhost')).toBe('ok');
    const other = selfSignedCertificate();
    expect(await handshake(pair, other.cert, '127.0.0.1')).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    expect(await handshake(pair, pair.cert, 'pbx.example')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
