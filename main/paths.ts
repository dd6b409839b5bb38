/** Where Hearth keeps a profile's vault by default, per platform convention. */
import { homedir, platform } from 'node:os';
import { join } from 'node:path';

export function defaultVaultDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HEARTH_VAULT) return env.HEARTH_VAULT;
  const home = homedir();
  switch (platform()) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Hearth', 'vault');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Hearth', 'vault');
    default:
      return join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'hearth', 'vault');
  }
}
