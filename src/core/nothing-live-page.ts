/**
 * The page a visitor gets from a site with nothing live yet, on both backends: the local edge
 * (404, since it answers the same for a host no project has) and the placeholder functions of a
 * project stack on AWS (503 with retry-after). Served with NOTHING_LIVE_HEADERS, never cached.
 */
export function nothingLivePage(project: string): string {
  const name = escapeHtml(project);
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${name}: no deployment yet</title></head>`,
    '<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">',
    `<h1>${name} has no deployment yet</h1>`,
    `<p>This site is set up with anchor but nothing has been deployed to it. Push to the project's branch, or run <code>anchor deploy ${name}</code>.</p>`,
    '</body></html>',
  ].join('');
}

export const NOTHING_LIVE_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'retry-after': '60' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
