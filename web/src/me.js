import { api } from './api.js';
import { session, signIn, signOut } from './session.js';

/**
 * Asks /api/me who the stored key is (or, with no key and via 'entra', who App Service Authentication signed in);
 * false (and signed out) when that is no longer valid.
 */
export async function loadMe(key = session.key, via = session.via) {
  try {
    const me = await api('/api/me', { key });
    signIn(key, me, via);
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
