import { api } from './api.js';
import { session, signIn, signOut } from './session.js';

/** Asks /api/me who the stored key is; false (and signed out) when the key is no longer valid. */
export async function loadMe(key = session.key) {
  try {
    const me = await api('/api/me', { key });
    signIn(key, me);
    try {
      const health = await api('/api/health');
      session.businessDate = health.businessDateConfigured ? health.businessDate : null;
    } catch { session.businessDate = null; }
    return true;
  } catch (e) {
    signOut();
    if (key) throw e;
    return false;
  }
}
