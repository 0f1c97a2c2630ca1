import { pipelineAppFiles, type SiteConfig } from './pipeline-app.js';

/**
 * What a hostile site and its build try against the platform: read files, list folders, call
 * Unix sockets and TCP routes. `PROBE_BUILD_TARGETS` (build env) and `PROBE_TARGETS` (runtime
 * env) name them, as JSON; each attempt is reported with whether it worked and what it got (an
 * error code if not).
 */
export interface ProbeTargets {
  files?: string[];
  dirs?: string[];
  sockets?: Array<{ path: string; method: string; url: string; body?: string }>;
  tcp?: Array<{ port: number; method: string; url: string; host?: string; body?: string }>;
}

export interface ProbeAttempt {
  kind: 'read' | 'list' | 'socket' | 'tcp' | 'env' | 'processes';
  target: string;
  ok: boolean;
  detail: string;
}

const PROBE = String.raw`const fs = require('node:fs');
const http = require('node:http');

function request(options) {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...options, timeout: 3000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 300);
        if ((res.statusCode || 0) >= 400) reject(new Error('HTTP ' + res.statusCode + ' ' + body));
        else resolve(res.statusCode + ' ' + body);
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(options.body);
  });
}

async function attempt(kind, target, fn) {
  try {
    return { kind, target, ok: true, detail: String(await fn()) };
  } catch (error) {
    return { kind, target, ok: false, detail: error.code || error.message };
  }
}

exports.run = async (targets) => {
  const out = [];
  for (const file of targets.files || []) out.push(await attempt('read', file, () => fs.readFileSync(file, 'latin1')));
  for (const dir of targets.dirs || []) out.push(await attempt('list', dir, () => fs.readdirSync(dir).join(',')));
  for (const s of targets.sockets || []) out.push(await attempt('socket', s.method + ' ' + s.path + s.url, () => request({ socketPath: s.path, method: s.method, path: s.url, body: s.body, headers: { 'content-type': 'application/json' } })));
  for (const t of targets.tcp || []) out.push(await attempt('tcp', t.method + ' ' + t.port + t.url, () => request({ host: t.host || '127.0.0.1', port: t.port, method: t.method, path: t.url, body: t.body, headers: { 'content-type': 'application/json' } })));
  out.push({ kind: 'env', target: 'process.env', ok: true, detail: JSON.stringify(process.env) });
  out.push(await attempt('processes', '/proc', () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length));
  return out;
};
`;

/** The pipeline app, with a build that runs the probe (its results in the log) and a /probe route that runs it in the site. */
export function probeAppFiles(site: SiteConfig): Record<string, string> {
  const files = pipelineAppFiles({ ...site, probe: true });
  files['probe.cjs'] = PROBE;
  return files;
}

/** The probe results a build printed in its log. */
export function buildProbeResults(log: string): ProbeAttempt[] {
  const line = log.split('\n').find((l) => l.startsWith('probe: '));
  if (line === undefined) throw new Error(`the build printed no probe results:\n${log}`);
  return JSON.parse(line.slice('probe: '.length)) as ProbeAttempt[];
}
