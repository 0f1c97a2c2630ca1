import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SniCertificates } from './sni-certificates.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * `anchor server`'s HTTPS port: the same request handling as its HTTP port, behind TLS with a
 * certificate per server name. TLS 1.2 and newer; HTTP/1.1 like the HTTP port.
 */
export class HttpsListener {
  private server: Server | null = null;

  constructor(private readonly sni: SniCertificates) {}

  async listen(listener: RequestListener, host: string, port: number): Promise<number> {
    const server = createServer({ SNICallback: this.sni.SNICallback, minVersion: 'TLSv1.2' }, listener);
    server.keepAliveTimeout = 5000;
    // A handshake for a name with no certificate, or a client that is not speaking TLS: nothing to answer.
    server.on('tlsClientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
