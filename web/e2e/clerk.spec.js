import { test, expect, signIn, screenshot, expectAccessible, choose, callApi } from './fixtures.js';

test('a clerk assesses and enrols a person and records a cash payment', async ({ page, request }) => {
  await signIn(page, 'staff');
  await page.getByRole('menuitem', { name: '参保登记与缴费' }).click();
  await choose(page, '政策（年度）', '合肥市庐阳区 2023 年度 (2022 年征缴)');
  await page.getByLabel('身份证号').fill('340103197503150022');
  await page.getByLabel('姓名').fill('赵六');
  await page.getByLabel('乡镇/街道').fill('逍遥津街道');

  // An ID number with a wrong check digit: the API's Chinese message, never JSON.
  await page.getByLabel('身份证号').fill('340103197503150023');
  await page.getByTestId('assess').click();
  await expect(page.getByTestId('error')).toBeVisible();
  await expect(page.getByTestId('error')).not.toContainText('{');

  await page.getByLabel('身份证号').fill('340103197503150022');
  await page.getByTestId('assess').click();
  await expect(page.getByTestId('payable')).toHaveText('350.00 元');
  await expect(page.getByTestId('assessment')).toContainText('2023-01-01 至 2023-12-31');
  await page.getByTestId('enrol').click();
  await expect(page.getByTestId('enrolment')).toContainText('已核定');
  await expect(page.getByTestId('balance')).toHaveText('350.00 元');
  await page.getByTestId('pay').click();
  await expect(page.getByTestId('payment-result')).toContainText('缴费已记录：350.00 元');
  await expect(page.getByTestId('payment-result')).toContainText('已缴费');
  await expectAccessible(page);
  await screenshot(page, 'enrol-and-pay');

  const enrolment = await callApi(request, 'staff', 'GET', '/api/enrolments/luyang-2023/340103197503150022');
  expect(enrolment.status).toBe('paid');
  expect(enrolment.source).toBe('window');
  expect(enrolment.payments).toHaveLength(1);
  expect(enrolment.payments[0]).toMatchObject({ amount: 350, channel: 'cash', inTreasury: false, paidOn: '2022-10-10' });

  // Enrolling the same person again: the API's Chinese message.
  await page.getByTestId('assess').click();
  await page.getByTestId('enrol').click();
  await expect(page.getByTestId('error')).toContainText('已参保登记');
});
