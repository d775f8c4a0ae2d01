// Issue 21: the 统一身份认证 (Entra ID through App Service Authentication) sign-in is offered only where the app says
// App Service Authentication answers it (GET /api/health: appServiceSignIn). The shared host runs with the sample
// settings (no App Service Authentication); a host of this file's own runs with the settings Azure gives such an app.
import { test, expect, screenshot, expectAccessible } from './fixtures.js';
import { startStack } from './stack.js';

/** Opens the sign-in page and waits for its health answer (the page decides on it), returning that answer. */
async function openSignIn(page, baseURL) {
  const [health] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/health') && r.ok()),
    page.goto(`${baseURL}/login`),
  ]);
  await expect(page.getByRole('button', { name: '登录' })).toBeVisible();
  return health.json();
}

test('without App Service Authentication the sign-in page offers keys only', async ({ page, baseURL }) => {
  const health = await openSignIn(page, baseURL);
  expect(health.appServiceSignIn).toBe(false);
  await expect(page.getByLabel('访问密钥')).toBeVisible();
  await expect(page.getByText('使用统一身份认证登录')).toHaveCount(0);
  await expect(page.getByTestId('entra-sign-in')).toHaveCount(0);
});

test.describe('with App Service Authentication', () => {
  let stack;
  test.beforeAll(async () => {
    // What Azure sets on an app behind App Service Authentication (WEBSITE_AUTH_ENABLED) and the app's own switch
    // to take its principal header (infra/ sets it as Entra__AppServiceAuthentication).
    stack = await startStack({ values: { 'Entra:AppServiceAuthentication': 'true', WEBSITE_AUTH_ENABLED: 'true' } });
  });
  test.afterAll(async () => { await stack?.stop(); });

  test('the sign-in page offers 使用统一身份认证登录, and a person App Service signed in comes back signed in with their app role', async ({ page }) => {
    const health = await openSignIn(page, stack.baseURL);
    expect(health.appServiceSignIn).toBe(true);
    const link = page.getByRole('link', { name: '使用统一身份认证登录' });
    await expect(link).toBeVisible();
    const href = await link.getAttribute('href');
    expect(href.split('?')[0]).toBe('/.auth/login/aad');
    // App Service sends the person back to /login?entra=1 once signed in.
    expect(new URLSearchParams(href.split('?')[1]).get('post_login_redirect_uri')).toBe('/login?entra=1');
    // The key sign-in stays (local keys work behind App Service Authentication too).
    await expect(page.getByLabel('访问密钥')).toBeVisible();
    await expectAccessible(page);
    await screenshot(page, 'sign-in-entra');

    // Back from /.auth/login/aad, every request carries the principal header App Service adds (the platform
    // strips one a browser sends; no App Service runs here, so the test adds it as the platform would).
    const principal = {
      auth_typ: 'aad', name_typ: 'preferred_username', role_typ: 'roles',
      claims: [{ typ: 'preferred_username', val: 'zhang.wei@example.gov.cn' }, { typ: 'roles', val: 'staff' }],
    };
    await page.setExtraHTTPHeaders({ 'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64') });
    await page.goto(`${stack.baseURL}/login?entra=1`);
    await expect(page.getByTestId('who')).toBeVisible();
    await expect(page).not.toHaveURL(/\/login/);
    await expect(page.getByRole('menuitem', { name: '管理报表' })).toBeVisible();
    await expect(page.getByRole('menuitem', { name: '定时任务与函数' })).toHaveCount(0);
  });
});
