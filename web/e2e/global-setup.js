import { startStack } from './stack.js';

// One Azurite and one local host for the whole run; the tests read where they are from the environment.
export default async function globalSetup() {
  const stack = await startStack({ log: (m) => console.log(`[e2e] ${m}`) });
  process.env.CONSOLE_BASE_URL = stack.baseURL;
  process.env.CONSOLE_KEYS = JSON.stringify(stack.keys);
  return async () => { await stack.stop(); };
}
