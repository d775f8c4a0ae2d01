import { test, expect, signIn, screenshot, expectAccessible, choose, callApi, residentId } from './fixtures.js';

const luyang = '合肥市庐阳区 2023 年度 (2022 年征缴)';
const collector = 'community:E2E测试社区';

test('a clerk records cash taken by a community; community staff see it held past 30 days and record its remittance', async ({ page, request }) => {
  // Arranged through the API: one person paid 350 in cash to the community on 2022-09-05 (35 days before the business day).
  const first = { policy: 'luyang-2023', idNumber: residentId('34010319850505021') };
  await callApi(request, 'staff', 'POST', '/api/enrolments', { ...first, date: '2022-09-01', name: '钱一', town: '杏林街道', source: 'window' });
  await callApi(request, 'staff', 'POST', '/api/payments', { ...first, amount: 350, paidOn: '2022-09-05', channel: 'cash', transactionId: 'E2E-H-1', inTreasury: false, collector });

  // A second person enrolled at the window by a clerk, whose cash the community took: the payment form names the collector.
  const second = residentId('34010319850505022');
  await signIn(page, 'staff');
  await page.getByRole('menuitem', { name: '参保登记与缴费' }).click();
  await choose(page, '政策（年度）', luyang);
  await page.getByLabel('身份证号').fill(second);
  await page.getByLabel('姓名').fill('钱二');
  await page.getByTestId('assess').click();
  await page.getByTestId('enrol').click();
  await expect(page.getByTestId('balance')).toHaveText('350.00 元');
  await choose(page, '代收单位类别', '社区（村）');
  await page.getByLabel('代收单位名称').fill('E2E测试社区');
  await page.getByTestId('pay').click();
  await expect(page.getByTestId('payment-result')).toContainText('缴费已记录：350.00 元');
  const paid = await callApi(request, 'staff', 'GET', `/api/enrolments/luyang-2023/${second}`);
  expect(paid.payments[0]).toMatchObject({ amount: 350, channel: 'cash', inTreasury: false, collector });
  await page.getByRole('button', { name: '退出' }).click();

  await signIn(page, 'community');
  await page.getByRole('menuitem', { name: '现金汇缴' }).click();
  await choose(page, '政策（年度）', luyang);
  await expect(page.getByTestId('remittance-rule')).toContainText('30 天内');
  const row = page.getByTestId('cash-held').locator('tbody tr', { hasText: '社区（村） E2E测试社区' });
  await expect(row).toContainText('700.00 元');
  await expect(row).toContainText('2022-09-05');
  await expect(row).toContainText('35');
  await expect(row.getByTestId('warning-cash-held-too-long')).toContainText('超过汇缴期限');
  await expect(row.getByTestId('warning-cash-held-too-long')).toContainText('已收取 35 天，达到 30 天汇缴期限');
  await expectAccessible(page);
  await screenshot(page, 'remittances');

  // The remittance as the 税收缴款书 says, with one person too many: refused with what the ledger holds.
  await row.getByTestId(`remit-${collector}`).click();
  await page.getByLabel('缴费人数', { exact: true }).fill('3');
  await page.getByLabel('缴费人数', { exact: true }).blur();
  await page.getByLabel('缴款书号').fill('E2E-SKJ-001');
  await page.getByTestId('record-remittance').click();
  await expect(page.getByTestId('remittance-error')).toContainText('汇缴人数或金额与该代收单位在该时间段内未入库的缴费不一致');
  await expect(page.getByTestId('remittance-found')).toContainText('2 笔缴费，2 人，700.00 元');
  await expect(page.getByTestId('remittance-error')).not.toContainText('{');
  await expectAccessible(page);
  await screenshot(page, 'remittance-mismatch');

  await page.getByLabel('缴费人数', { exact: true }).fill('2');
  await page.getByLabel('缴费人数', { exact: true }).blur();
  await page.getByTestId('record-remittance').click();
  await expect(page.getByTestId('remittance-result')).toContainText('汇缴已登记');
  await expect(page.getByTestId('remittance-result')).toContainText('2022-09-05 至 2022-10-10，2 人，700.00 元，2 笔缴费已入库');
  await expect(row).toHaveCount(0);

  for (const idNumber of [first.idNumber, second]) {
    const enrolment = await callApi(request, 'staff', 'GET', `/api/enrolments/luyang-2023/${idNumber}`);
    expect(enrolment.payments[0]).toMatchObject({ inTreasury: true, inTreasuryBy: 'remittance:E2E-SKJ-001', inTreasuryOn: '2022-10-10' });
  }
});
