import { test, expect, signIn, screenshot, expectAccessible, choose, callApi, residentId } from './fixtures.js';

test('community staff confirm a cash refund and the case ends done with the enrolment cancelled', async ({ page, request }) => {
  // Arranged through the API: paid 350 in cash (not yet in the treasury), then joined employee insurance within the period.
  const person = { policy: 'luyang-2023', idNumber: residentId('34010319700505012') };
  await callApi(request, 'staff', 'POST', '/api/enrolments', { ...person, name: '孙七', town: '杏林街道', source: 'window' });
  await callApi(request, 'staff', 'POST', '/api/payments', { ...person, amount: 350, paidOn: '2022-10-10', channel: 'cash', transactionId: 'E2E-C-1', inTreasury: false });
  const opened = await callApi(request, 'community', 'POST', '/api/refunds', { ...person, reason: 'joined-employee-insurance', eventDate: '2022-10-10' });
  await expect.poll(async () => (await callApi(request, 'staff', 'GET', `/api/refunds/${opened.id}`)).case.stage, { timeout: 60_000 }).toBe('awaiting-cash-return');

  await signIn(page, 'community');
  await expect(page).toHaveURL(/\/cash-refunds$/);
  await choose(page, '政策（年度）', '合肥市庐阳区 2023 年度 (2022 年征缴)');
  const row = page.getByTestId('refund-queue').locator('tbody tr.el-table__row', { hasText: '340103********' + person.idNumber.slice(-4) });
  await expect(row).toContainText('350.00 元');
  await expect(row).toContainText('参加职工医保');
  await expectAccessible(page);
  await screenshot(page, 'cash-refunds');

  await page.getByTestId(`cash-returned-${opened.id}`).click();
  await page.getByLabel('意见').fill('现金已当面退还');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('event-outcome')).toContainText('已办结', { timeout: 60_000 });
  const enrolment = await callApi(request, 'staff', 'GET', `/api/enrolments/${person.policy}/${person.idNumber}`);
  expect(enrolment.status).toBe('cancelled');
});
