import type { ServerResponse } from 'node:http';
import type { Unavailable } from '../runtime/supervised-handler.js';

/**
 * The pages the edge answers itself when a site's function cannot: what a visitor sees, and
 * what the operator of the site should run. Never the site's own output (its stderr may hold
 * anything): that is in `anchor logs <project> --runtime`.
 */
export function unavailablePage(res: ServerResponse, project: string, why: Unavailable): void {
  const retryAfter = Math.max(1, Math.ceil(why.retryAfterMs / 1000));
  const text =
    why.unavailable === 'crashloop'
      ? `<h1>${project} is down</h1><p>Its server keeps crashing. anchor starts it again in ${retryAfter} s.</p>`
      : `<h1>${project} is restarting</h1><p>Its server stopped unexpectedly and is being started again. Reload this page in a few seconds.</p>`;
  page(res, 503, `${project}: unavailable`, `${text}${operatorHint(project)}`, { 'retry-after': String(retryAfter) });
}

/** The function went away in the middle of this request (it crashed; it is being restarted). */
export function functionFailedPage(res: ServerResponse, project: string, cause: string): void {
  page(res, 502, `${project}: bad gateway`, `<h1>${project} did not answer</h1><p>Its server stopped while answering this request (${escapeHtml(cause)}); it is being restarted. Reload this page in a few seconds.</p>${operatorHint(project)}`);
}

function operatorHint(project: string): string {
  return `<p>If you run this site: <code>anchor logs ${project} --runtime</code> shows what it printed before it stopped.</p>`;
}

function page(res: ServerResponse, status: number, title: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(`<!doctype html><title>${title}</title>${body}\n`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
