import { reactive } from 'vue';

const KEY = 'collection.key';
const VIA = 'collection.via';

/**
 * The signed-in key (sessionStorage: gone when the tab closes) and what /api/me said about it; or, signed in with
 * 统一身份认证 (App Service Authentication), no key: via 'entra' and the sign-in cookie App Service keeps.
 */
export const session = reactive({
  key: sessionStorage.getItem(KEY) || '',
  via: sessionStorage.getItem(VIA) || '',
  me: null,
  businessDate: null,
});

export function signIn(key, me, via = '') {
  session.key = key;
  session.via = key ? '' : via;
  session.me = me;
  if (key) sessionStorage.setItem(KEY, key); else sessionStorage.removeItem(KEY);
  if (session.via) sessionStorage.setItem(VIA, session.via); else sessionStorage.removeItem(VIA);
}

export function signOut() {
  session.key = '';
  session.via = '';
  session.me = null;
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(VIA);
}

export const signedIn = () => !!(session.key || session.via);

export const hasRole = (...roles) => !!session.me && (session.me.role === 'admin' || roles.includes(session.me.role));
