import type { Context } from '../cli/context.js';
import { removeToken } from '../cli/remote-credentials.js';
import { AnchorError } from '../core/errors.js';

export default async function logout(ctx: Context): Promise<void> {
  const config = ctx.store.resolve(ctx.platformName);
  if (config.backend !== 'remote') {
    throw new AnchorError({ code: 'NOT_REMOTE', kind: 'usage', message: `"${config.name}" is a ${config.backend} platform of this machine: there is no login to end.`, hint: 'Name a remote platform with --platform (one you added with "anchor login").' });
  }
  const removed = removeToken(config.dir);
  ctx.ui.result({ platform: config.name, url: config.url, tokenRemoved: removed }, () =>
    removed ? `${ctx.ui.colors.green('✔')} Logged out of ${config.url}: the token is deleted from this machine (revoke it on the platform with "anchor tokens revoke" if it may have leaked).` : `There was no token stored for "${config.name}"; nothing to do.`,
  );
}
