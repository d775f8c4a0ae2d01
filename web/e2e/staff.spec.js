import { join } from 'node:path';
import { test, expect, signIn, screenshot, expectAccessible, choose, callApi, residentId } from './fixtures.js';
import { repo } from './stack.js';

const luyang = '合肥市庐阳区 2023 年度 (2022 年征缴)';

test('staff see the progress chart of enrolments per town by status', async ({ page, request }) => {
  // Five people in two towns under luyang-2023, two of them paid.
  const towns = ['双岗街道', '双岗街道', '双岗街道', '三孝口街道', '三孝口街道'];
  for (const [i, town] of towns.entries()) {
    const idNumber = residentId(`34010319800101${String(i + 1).padStart(3, '0')}`);
    await callApi(request, 'staff', 'POST', '/api/enrolments', { policy: 'luyang-2023', idNumber, name: `测试${i + 1}`, town, source: 'window' });
    if (i % 2 === 0 && i < 3) {
      await callApi(request, 'staff', 'POST', '/api/payments', { policy: 'luyang-2023', idNumber, amount: 350, paidOn: '2022-10-10', channel: 'cash', transactionId: `E2E-P-${i}`, inTreasury: false });
    }
  }

  await signIn(page, 'staff');
  await page.getByRole('menuitem', { name: '征缴进度' }).click();
  await choose(page, '政策（年度）', luyang);
  const table = page.getByTestId('progress-table');
  const shuanggang = table.locator('tbody tr', { hasText: '双岗街道' });
  await expect(shuanggang).toBeVisible();
  // 3 enrolled in 双岗街道: 2 paid, 1 assessed.
  await expect(shuanggang.locator('td').nth(1)).toHaveText('1');
  await expect(shuanggang.locator('td').nth(2)).toHaveText('2');
  await expect(shuanggang.locator('td').nth(6)).toHaveText('3');
  await expect(table.locator('tbody tr', { hasText: '三孝口街道' }).locator('td').nth(6)).toHaveText('2');
  const chart = page.getByTestId('progress-chart');
  await expect(chart.locator('canvas')).toHaveCount(1);
  await expect(chart).toHaveAttribute('aria-label', /双岗街道 3 人/);
  await expect(page.getByTestId('targets-note')).toContainText('issue 20');
  await expectAccessible(page);
  await screenshot(page, 'progress');

  // The other bureau pages: a person, a subsidy list, reconciliation.
  await page.getByRole('menuitem', { name: '人员查询与退费' }).click();
  await choose(page, '政策（年度）', luyang);
  await page.getByLabel('身份证号').fill(residentId('34010319800101001'));
  await page.getByTestId('search').click();
  await expect(page.getByTestId('person')).toContainText('已缴费');
  await expect(page.getByText('E2E-P-0', { exact: true })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'people');

  await page.getByRole('menuitem', { name: '资助名单' }).click();
  await choose(page, '政策（年度）', luyang);
  await page.getByLabel('名单日期').fill('2022-08-31');
  await page.getByLabel('名单日期').press('Enter');
  await page.locator('input[type=file]').setInputFiles(join(repo, 'samples', 'subsidy-list-20220831-gb18030.csv'));
  await expect(page.getByTestId('list-status')).toHaveText('已完成', { timeout: 60_000 });
  // Line 6 (计划生育特殊家庭 from 民政) is 卫健's to confirm under luyang-2023 六; line 8 is not valid.
  await expect(page.getByTestId('opened')).toContainText('6');
  await expect(page.getByTestId('rejected-rows').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('rejected-rows')).toContainText('8');
  await expectAccessible(page);
  await screenshot(page, 'subsidy-lists');

  await page.getByRole('menuitem', { name: '对账与结算' }).click();
  await choose(page, '政策（年度）', luyang);
  await page.getByTestId('reconcile').click();
  // Other scenarios pay under luyang-2023 too: the page shows what the API counts, which includes these 700.
  const reconciliation = await callApi(request, 'staff', 'GET', '/api/reports/reconciliation?policy=luyang-2023');
  expect(reconciliation.paid.amount).toBeGreaterThanOrEqual(700);
  const paid = reconciliation.paid.amount.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  await expect(page.getByTestId('paid-amount')).toContainText(`${paid} 元`);
  await expectAccessible(page);
  await screenshot(page, 'reconciliation');
});

test('an administrator runs a timer job by hand and sees its runs and the functions', async ({ page }) => {
  await signIn(page, 'admin');
  await page.getByRole('menuitem', { name: '定时任务与函数' }).click();
  await page.getByTestId('run-job').click();
  await expect(page.getByTestId('job-result')).toContainText('成功');
  await expect(page.getByTestId('job-runs').locator('tbody tr').first()).toContainText('手动');
  await expect(page.getByRole('cell', { name: 'WhoAmI', exact: true })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'admin-jobs');
});

test('tax staff upload a tax payment return and see its result', async ({ page }) => {
  await signIn(page, 'tax');
  await expect(page).toHaveURL(/\/tax$/);
  // The sample return is dated 2022-11-16; under the business date 2022-10-10 its payments are in the future.
  await page.locator('input[type=file]').setInputFiles(join(repo, 'samples', 'tax-return-20221116-utf8.csv'));
  await expect(page.getByTestId('tax-status')).toHaveText('已完成', { timeout: 60_000 });
  await expect(page.getByTestId('tax-rejected')).toContainText('6');
  await expect(page.getByTestId('rejected-rows')).toContainText('缴费日期晚于今天');
  await expectAccessible(page);
  await screenshot(page, 'tax');
});
