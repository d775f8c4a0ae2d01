import { test, expect, signIn, screenshot, expectAccessible, choose, callApi, residentId } from './fixtures.js';

// Named to sort after staff.spec.js: the person enrolled here would change the progress figures it checks.
test('community staff of a town assess, enrol and take the cash of a person of their town, held by the town until remitted', async ({ page, request }) => {
  const idNumber = residentId('34010319880808004');
  await signIn(page, 'community:海棠街道');
  await page.getByRole('menuitem', { name: '参保登记与缴费' }).click();
  await expect(page.getByTestId('desk-note')).toContainText('只能为 海棠街道 的居民登记参保并收取现金');
  await expect(page.getByLabel('乡镇/街道')).toHaveValue('海棠街道');
  await expect(page.getByLabel('乡镇/街道')).toBeDisabled();
  await choose(page, '政策（年度）', '合肥市庐阳区 2023 年度 (2022 年征缴)');
  await page.getByLabel('身份证号').fill(idNumber);
  await page.getByLabel('姓名').fill('窗口甲');
  await page.getByTestId('assess').click();
  await expect(page.getByTestId('payable')).toHaveText('350.00 元');
  await page.getByTestId('enrol').click();
  await expect(page.getByTestId('balance')).toHaveText('350.00 元');
  await expect(page.getByLabel('代收单位名称')).toHaveValue('海棠街道');
  await page.getByTestId('pay').click();
  await expect(page.getByTestId('payment-result')).toContainText('缴费已记录：350.00 元');
  await expectAccessible(page);
  await screenshot(page, 'community-desk');

  const enrolment = await callApi(request, 'staff', 'GET', `/api/enrolments/luyang-2023/${idNumber}`);
  expect(enrolment).toMatchObject({ town: '海棠街道', source: 'community', status: 'paid' });
  expect(enrolment.payments[0]).toMatchObject({ amount: 350, channel: 'cash', inTreasury: false, collector: 'community:海棠街道' });

  // The cash is the town's to remit: 现金汇缴 shows it held by 海棠街道.
  await page.getByRole('menuitem', { name: '现金汇缴' }).click();
  await choose(page, '政策（年度）', '合肥市庐阳区 2023 年度 (2022 年征缴)');
  await expect(page.getByTestId('cash-held').locator('tbody tr', { hasText: '社区（村） 海棠街道' })).toContainText('350.00 元');
});
