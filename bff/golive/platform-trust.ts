/**
 * `check --platform-ca FILE`: a platform whose https certificate chains to a private CA (a
 * government network's, or the sandbox's test CA) that the check's Chromium does not know.
 *
 * Chromium on Linux takes no CA file on its command line. So the check verifies the platform's
 * certificate itself, the way the BFF does (Node's TLS, the CA from FILE plus the system roots,
 * chain and host name), and only when that succeeds launches Chromium with
 * `--ignore-certificate-errors-spki-list` naming the public key of exactly that certificate. A
 * server must prove it holds that key during the handshake, so nothing else is let through: no
 * other certificate, and no certificate error is ignored wholesale.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, rootCertificates } from 'node:tls';
import { GoLiveError } from './cli-support.ts';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export interface PlatformCa {
  file: string;
  pem: string[];
  /** The subjects of the certificates in the file, for the evidence. */
  subjects: string[];
}

export interface PlatformTrust {
  ca: PlatformCa;
  /** host:port that was verified. */
  endpoint: string;
  origin: string;
  /** The chain and the host name verified against the CA and the system roots. */
  verified: boolean;
  /** Why not (Node's error code or message). */
  error?: string | undefined;
  leaf?: { subject: string; issuer: string; validTo: string; spkiSha256: string } | undefined;
}

/** One line per distinguished name: "O=…\nCN=…" becomes "O=…, CN=…". */
function dn(text: string): string {
  return text.split('\n').filter(Boolean).join(', ');
}

/** Reads FILE: at least one PEM certificate, each readable (GoLiveError `usage` otherwise). */
export async function readPlatformCa(file: string): Promise<PlatformCa> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new GoLiveError('usage', `--platform-ca ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const pem = text.match(PEM_CERTIFICATE) ?? [];
  if (pem.length === 0) throw new GoLiveError('usage', `--platform-ca ${file}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file`);
  const subjects = pem.map((block, i) => {
    try {
      return dn(new X509Certificate(block).subject);
    } catch (error) {
      throw new GoLiveError('usage', `--platform-ca ${file}: certificate ${i + 1} cannot be read (${(error as Error).message})`);
    }
  });
  return { file, pem, subjects };
}

/** Connects to the platform once and verifies its certificate against the CA and the system roots. */
export async function verifyPlatformCertificate(platformUrl: URL, ca: PlatformCa, timeoutMs: number): Promise<PlatformTrust> {
  const host = platformUrl.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(platformUrl.port || 443);
  const endpoint = `${platformUrl.hostname}:${port}`;
  const base = { ca, endpoint, origin: platformUrl.origin };
  if (platformUrl.protocol !== 'https:') return { ...base, verified: false, error: `${platformUrl.origin} is not https` };
  return new Promise<PlatformTrust>((resolve) => {
    const socket = connect({
      host,
      port,
      servername: /^[\d.]+$|:/.test(host) ? undefined : host,
      ca: [...rootCertificates, ...ca.pem],
      // Verified below and reported: a refusal is evidence, not a crash.
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    const done = (trust: PlatformTrust) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(trust);
    };
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      const leaf = peer && {
        subject: dn(peer.subject),
        issuer: dn(peer.issuer),
        validTo: new Date(peer.validTo).toISOString(),
        spkiSha256: createHash('sha256').update(peer.publicKey.export({ type: 'spki', format: 'der' })).digest('base64'),
      };
      const error = socket.authorizationError;
      done({ ...base, verified: socket.authorized && !!leaf, error: error ? String((error as Error).message ?? error) : undefined, leaf });
    });
    socket.once('error', (error) => done({ ...base, verified: false, error: (error as NodeJS.ErrnoException).code ?? error.message }));
  });
}

/** The Chromium flag that accepts exactly the verified certificate's key (none when not verified). */
export function chromiumArgsFor(trust: PlatformTrust | undefined): string[] {
  return trust?.verified && trust.leaf ? [`--ignore-certificate-errors-spki-list=${trust.leaf.spkiSha256}`] : [];
}

/** 备注 for the https row. */
export function trustRemark(trust: PlatformTrust): string {
  const ca = `--platform-ca 指定的 CA 文件 ${trust.ca.file}（${trust.ca.subjects.join('；')}）`;
  if (!trust.verified) {
    return `平台 ${trust.endpoint} 的 https 证书未能通过 ${ca}与系统根证书的校验：${trust.error ?? '未知原因'}${trust.leaf ? `（证书 ${trust.leaf.subject}，颁发者 ${trust.leaf.issuer}）` : ''}；浏览器未放行该证书。`;
  }
  const leaf = trust.leaf!;
  return (
    `平台证书经 ${ca}与系统根证书校验：${trust.endpoint} 出示的证书链和主机名校验通过（证书 ${leaf.subject}，颁发者 ${leaf.issuer}，有效期至 ${leaf.validTo}）；` +
    `Chromium 只对这张证书的公钥（SPKI sha256/${leaf.spkiSha256}）放行，没有忽略其他证书错误。`
  );
}
