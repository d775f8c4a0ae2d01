import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect, signIn, screenshot, expectAccessible, residentId } from './fixtures.js';
import { repo } from './stack.js';

const sample = join(repo, 'samples', 'school-roster-gb18030.csv');

test('the host serves the console at any path outside /api, and the API stays the API', async ({ page, request }) => {
  // A deep link is the console (index.html), which asks for a key first.
  await page.goto('/rosters');
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)rosters$/);
  await expect(page.getByLabel("访问密钥")).toBeVisible();
  const unknownApi = await request.get(`${process.env.CONSOLE_BASE_URL}/api/no-such-function`);
  expect(unknownApi.status()).toBe(404);
  expect(await unknownApi.text()).not.toContain('<div id="app">');
  const me = await request.get(`${process.env.CONSOLE_BASE_URL}/api/me`);
  expect(me.status()).toBe(401);
});

test('a school administrator uploads the sample roster, sees 9 accepted and line 6 rejected, downloads the rejected rows, fixes and uploads again', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: '城乡居民医保征缴管理平台' })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, 'sign-in');

  // A wrong key is refused with the API's Chinese message, not JSON.
  await page.getByLabel('访问密钥').fill('not-a-key');
  await page.getByRole('button', { name: '登录' }).click();
  await expect(page.getByText('缺少有效的功能密钥')).toBeVisible();
  await expect(page.getByText('"code"')).toHaveCount(0);

  await signIn(page, 'school:SCH001');
  await expect(page).toHaveURL(/\/rosters$/);
  // A school key sees its own pages only: its rosters and the cash it collected.
  await expect(page.getByRole('menuitem')).toHaveText(['名册上传', '现金汇缴']);
  await expect(page.getByTestId('who')).toContainText('SCH001');

  // First the check before uploading (the checks of `roster check`, nothing kept): 9 pass, line 6 does not.
  await page.getByTestId('check-drop').locator('input[type=file]').setInputFiles(sample);
  await expect(page.getByTestId('check-status')).toHaveText('有不通过的行', { timeout: 60_000 });
  await expect(page.getByTestId('check-accepted')).toContainText('9');
  await expect(page.getByTestId('check-rejected')).toContainText('1');
  const checkedRow = page.getByTestId('check-rows').locator('tbody tr');
  await expect(checkedRow).toHaveCount(1);
  await expect(checkedRow.first()).toContainText('340103********0290');
  await expect(checkedRow.first()).toContainText('invalid-id-number');
  const [checkedCsv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('check-download').click()]);
  expect(checkedCsv.suggestedFilename()).toBe('school-roster-gb18030.rejected.csv');
  expect(readFileSync(await checkedCsv.path(), 'utf8')).toContain('陈静');
  await expectAccessible(page);
  await screenshot(page, 'roster-check');
  // The check enrolled no one.
  await page.getByTestId('load-pupils').click();
  await expect(page.getByTestId('pupils').locator('tbody tr')).toHaveCount(0);

  await page.getByTestId('upload-drop').locator('input[type=file]').setInputFiles(sample);
  await expect(page.getByTestId('upload-drop').getByTestId('upload-progress')).toHaveAttribute('aria-valuenow', '100');
  await expect(page.getByTestId('roster-status')).toHaveText('已完成', { timeout: 60_000 });
  await expect(page.getByTestId('accepted')).toContainText('9');
  await expect(page.getByTestId('rejected')).toContainText('1');
  const rejected = page.getByTestId('rejected-rows').locator('tbody tr');
  await expect(rejected).toHaveCount(1);
  await expect(rejected.first()).toContainText('6');
  await expect(rejected.first()).toContainText('340103********0290');
  await expect(rejected.first()).toContainText('invalid-id-number');
  await expect(rejected.first()).toContainText('校验位');
  await expectAccessible(page);
  await screenshot(page, 'school-roster');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-rejected').click()]);
  expect(download.suggestedFilename()).toBe('school-roster-gb18030.rejected.csv');
  const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
  const [header, row] = csv.trim().split(/\r?\n/);
  expect(header).toContain('行号');
  expect(header).toContain('原因代码');
  expect(row).toContain('陈静');
  expect(row).toContain('invalid-id-number');

  // Fix the check digit as a person would in Excel, put the row back, and upload the roster again by drag and drop.
  const cells = row.split(',');
  const idColumn = header.split(',').indexOf('公民身份号码');
  // Written as ="…" so that Excel keeps all 18 digits; Excel shows the digits.
  expect(cells[idColumn]).toMatch(/^"=""\d{17}[\dX]"""$/);
  const wrong = cells[idColumn].replace(/[^0-9X]/g, '');
  const fixed = residentId(wrong.slice(0, 17));
  expect(fixed).not.toBe(wrong);
  const original = new TextDecoder('gb18030').decode(readFileSync(sample));
  const corrected = '\uFEFF' + original.replace(wrong, fixed);
  const dataTransfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'school-roster-gb18030.csv', { type: 'text/csv' }));
    return dt;
  }, corrected);
  await page.getByTestId('upload-drop').locator('.el-upload-dragger').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('accepted')).toContainText('10', { timeout: 60_000 });
  await expect(page.getByTestId('roster-status')).toHaveText('已完成');
  await expect(page.getByTestId('rejected')).toContainText('0');
  await expect(page.getByTestId('rejected-rows').locator('tbody tr')).toHaveCount(0);

  // The school's own pupils, as enrolled from its rosters, ID numbers masked: all ten assessed at 350.00. The roster's
  // 低保对象 (刘洋) and 特困人员 (黄丽) are claims that no department's list has confirmed, so they do not subsidise
  // (issue 17: the identity book is the source of subsidies).
  const pupils = page.getByTestId('pupils').locator('tbody tr');
  await expect(pupils).toHaveCount(10);
  await expect(page.getByTestId('pupils')).not.toContainText(fixed);
  const chen = pupils.filter({ hasText: '陈静' });
  await expect(chen).toContainText('340103********' + fixed.slice(-4));
  await expect(chen).toContainText('已核定');
  await expect(chen).toContainText('350.00 元');
  await expect(pupils.filter({ hasText: '已核定' })).toHaveCount(10);
  await expect(pupils.filter({ hasText: '刘洋' })).toContainText('350.00 元');
  await expect(pupils.filter({ hasText: '黄丽' })).toContainText('已核定');
});
