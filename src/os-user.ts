// Who this server runs as, for the audit record and a private folder's name: the account name,
// else the uid (userInfo throws when the uid has no passwd entry, as in some containers).
import { userInfo } from 'node:os';

export function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
