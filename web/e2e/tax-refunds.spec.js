// Issue 21, tax staff: accept a refund case waiting for tax (cash that went into the treasury comes back through tax).
import { test, expect, signIn, expectAccessible, callApi, residentId } from './fixtures.js';

test('tax staff accept a refund case waiting for tax and it moves on to approval', async ({ page, request }) => {
  // Arranged through the API: a person who paid 320 in cash twice, both in the treasury, and the case staff opened.
  const person = { policy: 'bagongshan-2022', idNumber: residentId('34040519900202003') };
  await callApi(request, 'staff', 'POST', '/api/enrolments', { ...person, date: '2021-10-01', name: '王五', source: 'window' });
  for (const transactionId of ['E2E-T-1', 'E2E-T-2']) {
    await callApi(request, 'staff', 'POST', '/api/payments', { ...person, amount: 320, paidOn: '2021-10-02', channel: 'cash', transactionId, inTreasury: true });
  }
  const opened = await callApi(request, 'staff', 'POST', '/api/refunds', { ...person, reason: 'duplicate-payment', note: '现金重复缴费' });
  await expect.poll(async () => (await callApi(request, 'staff', 'GET', `/api/refunds/${opened.id}`)).case.stage, { timeout: 60_000 }).toBe('awaiting-tax-acceptance');

  await signIn(page, 'tax');
  await expect(page).toHaveURL(/\/tax$/);
  const row = page.getByTestId('refund-queue').locator('tbody tr.el-table__row', { hasText: '340405********' + person.idNumber.slice(-4) });
  await expect(row).toContainText('320.00 元');
  await expect(row).not.toContainText(person.idNumber);
  await page.getByTestId(`tax-accepted-${opened.id}`).click();
  await page.getByLabel('意见').fill('已核实入库');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('event-outcome')).toBeVisible({ timeout: 60_000 });
  await expectAccessible(page);

  await expect.poll(async () => (await callApi(request, 'staff', 'GET', `/api/refunds/${opened.id}`)).case.stage, { timeout: 60_000 }).toBe('awaiting-approval');
  const accepted = (await callApi(request, 'staff', 'GET', `/api/refunds/${opened.id}`)).case.history.find((h) => h.event === 'tax-accepted');
  expect(accepted.comment).toBe('已核实入库');
});
