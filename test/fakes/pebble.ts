import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A port nothing listens on right now (Pebble needs its ports in its config file). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Pebble, Let's Encrypt's test CA (Debian package `pebble`), on loopback with a config of its
 * own: it validates HTTP-01 for real, resolving names through the test's DNS server
 * (`-dnsserver`) and fetching the challenge from anchor server's HTTP port (`httpPort`).
 * Its root certificate is new at every start (management interface, /roots/0).
 */
export class PebbleCa {
  private readonly dir = mkdtempSync(join(tmpdir(), 'anchor-pebble-'));
  private process: ChildProcess | null = null;
  private output = '';
  /** The PEM of Pebble's own HTTPS listener (self-signed here): the ACME client trusts it. */
  readonly listenerCa: string;

  private constructor(
    readonly port: number,
    readonly managementPort: number,
  ) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(this.dir, 'key.pem'), '-out', join(this.dir, 'cert.pem')], { stdio: 'ignore' });
    this.listenerCa = readFileSync(join(this.dir, 'cert.pem'), 'utf8');
  }

  /** Picks the ports (so the directory URL is known before anchor server starts); `start` runs it. */
  static async prepare(): Promise<PebbleCa> {
    return new PebbleCa(await freePort(), await freePort());
  }

  get directoryUrl(): string {
    return `https://127.0.0.1:${this.port}/dir`;
  }

  /** `httpPort`: where Pebble fetches HTTP-01 challenges (anchor server's HTTP port); `dnsServer`: host:port. */
  async start(input: { httpPort: number; dnsServer: string }): Promise<this> {
    const config = {
      pebble: {
        listenAddress: `127.0.0.1:${this.port}`,
        managementListenAddress: `127.0.0.1:${this.managementPort}`,
        certificate: join(this.dir, 'cert.pem'),
        privateKey: join(this.dir, 'key.pem'),
        httpPort: input.httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    };
    writeFileSync(join(this.dir, 'pebble.json'), JSON.stringify(config));
    this.process = spawn('pebble', ['-config', join(this.dir, 'pebble.json'), '-dnsserver', input.dnsServer], {
      env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.process.stdout, this.process.stderr]) stream?.on('data', (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000)));
    const until = Date.now() + 20_000;
    for (;;) {
      try {
        await this.get(this.port, '/dir');
        return this;
      } catch (error) {
        if (Date.now() > until || this.process.exitCode !== null) throw new Error(`pebble did not start: ${String(error)}\n${this.output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** The root every certificate Pebble issues chains to. */
  root(): Promise<string> {
    return this.get(this.managementPort, '/roots/0');
  }

  /** What Pebble printed (its validation attempts), for a failing test's message. */
  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.process && this.process.exitCode === null) {
      const exited = new Promise((r) => this.process?.once('exit', r));
      this.process.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private get(port: number, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, ca: this.listenerCa, servername: 'localhost' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    });
  }
}
