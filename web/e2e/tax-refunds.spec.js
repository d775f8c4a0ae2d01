// Issue 21: bureau staff open a refund case from a person's page; tax staff accept it (cash that went into the
// treasury comes back through tax).
import { test, expect, signIn, expectAccessible, callApi, residentId, choose } from './fixtures.js';

test('staff open a refund case for a person and tax staff accept it; it moves on to approval', async ({ page, request }) => {
  // Arranged through the API: a person who paid 320 in cash twice, both in the treasury.
  const person = { policy: 'bagongshan-2022', idNumber: residentId('34040519900202003') };
  await callApi(request, 'staff', 'POST', '/api/enrolments', { ...person, date: '2021-10-01', name: '王五', source: 'window' });
  for (const transactionId of ['E2E-T-1', 'E2E-T-2']) {
    await callApi(request, 'staff', 'POST', '/api/payments', { ...person, amount: 320, paidOn: '2021-10-02', channel: 'cash', transactionId, inTreasury: true });
  }

  await signIn(page, 'staff');
  await page.getByRole('menuitem', { name: '人员查询与退费' }).click();
  await choose(page, '政策（年度）', '淮南市八公山区 2022 年度');
  await page.getByLabel('身份证号').fill(person.idNumber);
  await page.getByTestId('search').click();
  await expect(page.getByTestId('person')).toContainText('王五');
  await choose(page, '退费原因', '重复缴费');
  await page.getByLabel('说明').fill('现金重复缴费');
  await page.getByTestId('open-refund').click();
  // The page waits for the checks: cash in the treasury goes to tax first.
  await expect(page.getByTestId('refund-opened')).toContainText('金额 320.00 元', { timeout: 60_000 });
  const id = /已发起退费 (\S+)：/.exec(await page.getByTestId('refund-opened').textContent())[1];
  const opened = { id };
  expect((await callApi(request, 'staff', 'GET', `/api/refunds/${id}`)).case.stage).toBe('awaiting-tax-acceptance');
  await expect(page.getByTestId('person-refunds')).toContainText('重复缴费');
  await expectAccessible(page);

  await page.getByRole('button', { name: '退出' }).click();
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
