import { reactive } from 'vue';

const KEY = 'collection.key';

/** The signed-in key (sessionStorage: gone when the tab closes) and what /api/me said about it. */
export const session = reactive({
  key: sessionStorage.getItem(KEY) || '',
  me: null,
  businessDate: null,
});

export function signIn(key, me) {
  session.key = key;
  session.me = me;
  sessionStorage.setItem(KEY, key);
}

export function signOut() {
  session.key = '';
  session.me = null;
  sessionStorage.removeItem(KEY);
}

export const hasRole = (...roles) => !!session.me && (session.me.role === 'admin' || roles.includes(session.me.role));
