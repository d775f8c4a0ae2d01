import { test, expect, signIn, screenshot, expectAccessible, callApi } from './fixtures.js';

const person = { policy: 'bagongshan-2022', idNumber: '34040519900101001X' };

test('an approver approves a refund waiting for approval and the case ends done', async ({ page, request }) => {
  // Arranged through the API: a person who paid 320 twice online, and the refund case opened by staff.
  await callApi(request, 'staff', 'POST', '/api/enrolments', { ...person, date: '2021-10-01', name: '李四', source: 'window' });
  for (const transactionId of ['E2E-R-1', 'E2E-R-2']) {
    await callApi(request, 'tax', 'POST', '/api/payments', { ...person, amount: 320, paidOn: '2021-10-02', channel: 'online', transactionId, inTreasury: true });
  }
  const opened = await callApi(request, 'staff', 'POST', '/api/refunds', { ...person, reason: 'duplicate-payment', note: '皖事通重复缴费' });
  await expect.poll(async () => (await callApi(request, 'staff', 'GET', `/api/refunds/${opened.id}`)).case.stage, { timeout: 60_000 }).toBe('awaiting-approval');

  await signIn(page, 'approver');
  await expect(page).toHaveURL(/\/approvals$/);
  await expect(page.getByRole('menuitem')).toHaveText(['退费审批']);
  const row = page.getByTestId('refund-queue').locator('tbody tr.el-table__row', { hasText: '340405********001X' });
  await expect(row).toContainText('320.00 元');
  await expect(row).toContainText('重复缴费');
  await row.locator('.el-table__expand-icon').click();
  await expect(page.getByText('E2E-R-2')).toBeVisible();
  await expect(page.getByText('E2E-R-1')).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'approvals');

  await page.getByTestId(`approve-${opened.id}`).click();
  await page.getByLabel('意见').fill('两笔缴费已核实');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('event-outcome')).toContainText('已办结', { timeout: 60_000 });

  const done = await callApi(request, 'staff', 'GET', `/api/refunds/${opened.id}`);
  expect(done.case.stage).toBe('done');
  expect(done.case.history.map((h) => h.event)).toContain('approve');
  expect(done.case.history.find((h) => h.event === 'approve').comment).toBe('两笔缴费已核实');
});
