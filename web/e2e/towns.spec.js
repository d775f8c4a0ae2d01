// Issue 21: community staff of a town see that town only (reminder and mobilisation lists); an administrator runs the
// monthly town reports by hand and downloads one from the console. Each scenario makes its own people in towns no other
// spec uses (海棠街道/益民街道, 林店街道), and the file sorts last: the people it enrols and the supplementary run it
// starts would otherwise change the other scenarios' counts.
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { test, expect, keys, signIn, screenshot, expectAccessible, choose, callApi, residentId } from './fixtures.js';

const luyang = '合肥市庐阳区 2023 年度 (2022 年征缴)';
const masked = (id) => `${id.slice(0, 6)}********${id.slice(-4)}`;

/** The files of a ZIP (an XLSX), read through its central directory: name → text. */
function unzip(bytes) {
  const files = {};
  let end = bytes.length - 22;
  while (end >= 0 && bytes.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error('not a ZIP file');
  let at = bytes.readUInt32LE(end + 16);
  for (let n = bytes.readUInt16LE(end + 10); n > 0; n--) {
    const method = bytes.readUInt16LE(at + 10);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const skip = nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const name = bytes.toString('utf8', at + 46, at + 46 + nameLength);
    const local = bytes.readUInt32LE(at + 42);
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + size);
    files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    at += 46 + skip;
  }
  return files;
}

/** Drops a subsidy list as staff (the subsidy list page's PUT) and waits for the blob trigger's result. */
async function dropSubsidyList(request, name, csv, date) {
  const put = await request.put(`${process.env.CONSOLE_BASE_URL}/api/subsidy-lists/luyang-2023/civil-affairs/${encodeURIComponent(name)}?date=${date}`,
    { headers: { 'x-functions-key': keys().staff, 'content-type': 'application/octet-stream' }, data: Buffer.from(csv, 'utf8') });
  expect(put.status(), await put.text()).toBe(202);
  const status = new URL((await put.json()).statusQueryGetUri);
  let result;
  await expect(async () => {
    result = await callApi(request, 'staff', 'GET', status.pathname + status.search);
    expect(result.status).not.toBe('processing');
  }).toPass({ timeout: 60_000 });
  expect(result.status, JSON.stringify(result)).toBe('completed');
}

test('community staff of a town see their town and only its people, in the reminder and mobilisation lists', async ({ page, request }) => {
  // Two people still owing, one in the key's town (海棠街道) and one in another (益民街道).
  const own = residentId('34010319810101003');
  const other = residentId('34010319810101004');
  for (const [idNumber, name, town] of [[own, '本镇甲', '海棠街道'], [other, '外镇乙', '益民街道']]) {
    await callApi(request, 'staff', 'POST', '/api/enrolments', { policy: 'luyang-2023', idNumber, name, town, phone: '13900000000', source: 'window' });
  }
  // Two 低保对象 on the civil-affairs list, one per town, not enrolled: subsidised in part, so the monthly
  // supplementary run (the 5th) puts each on their town's 动员名单.
  const ownListed = residentId('34010319620101005');
  const otherListed = residentId('34010319630101006');
  await dropSubsidyList(request, 'e2e-海棠益民.csv',
    `姓名,身份证号,资助身份,低保类别,乡镇街道,变动\r\n动员丙,${ownListed},低保对象,,海棠街道,新增\r\n动员丁,${otherListed},低保对象,,益民街道,新增\r\n`, '2022-10-10');
  const run = await callApi(request, 'admin', 'POST', '/api/jobs/SupplementaryEnrolment/runs?asOf=2022-11-05');
  expect(run.outcome, JSON.stringify(run)).toBe('succeeded');

  await signIn(page, 'community:海棠街道');
  await expect(page.getByTestId('who-unit')).toHaveText('海棠街道');
  await page.getByRole('menuitem', { name: '催缴与动员名单' }).click();
  await expect(page.getByTestId('own-unit')).toContainText('只能查看和下载 海棠街道 的名单');
  await choose(page, '政策（年度）', luyang);
  const towns = page.getByTestId('reminder-towns').locator('tbody tr');
  await expect(towns).toHaveCount(1);
  await expect(towns.first()).toContainText('海棠街道');
  await expect(page.getByTestId('reminder-towns')).not.toContainText('益民街道');
  // The latest month's lists: 海棠街道's only, though the run wrote 益民街道's too.
  const lists = page.getByTestId('mobilisation-towns').locator('tbody tr');
  await expect(lists).toHaveCount(1);
  await expect(lists.first()).toContainText('海棠街道');
  await expect(lists.first()).toContainText('2022-11');
  await expect(page.getByTestId('mobilisation-towns')).not.toContainText('益民街道');
  await expectAccessible(page);
  await screenshot(page, 'reminders-town');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('reminders-csv-海棠街道').click()]);
  const list = readFileSync(await download.path(), 'utf8');
  expect(list).toContain('本镇甲');
  expect(list).toContain(masked(own));
  expect(list).not.toContain(own);
  expect(list).not.toContain('外镇乙');

  const [mobilisation] = await Promise.all([page.waitForEvent('download'), page.getByTestId('mobilisation-csv-海棠街道').click()]);
  expect(mobilisation.suggestedFilename()).toBe('动员名单-海棠街道-2022-11.csv');
  const mobilised = readFileSync(await mobilisation.path(), 'utf8');
  expect(mobilised).toContain('动员丙');
  expect(mobilised).toContain(masked(ownListed));
  expect(mobilised).not.toContain(ownListed);
  expect(mobilised).not.toContain('动员丁');

  // Asked for by hand, another town's lists are refused with their Chinese message.
  const key = { 'x-functions-key': keys()['community:海棠街道'] };
  for (const path of ['reminders?format=csv&', 'mobilisation?month=2022-11&format=csv&']) {
    const refused = await request.get(`${process.env.CONSOLE_BASE_URL}/api/reports/luyang-2023/${path}town=${encodeURIComponent('益民街道')}`, { headers: key });
    expect(refused.status()).toBe(403);
    const problem = await refused.json();
    expect(problem.code).toBe('forbidden-unit');
    expect(problem.detailZh).toContain('本乡镇街道');
  }
});

test('an administrator runs the monthly town reports by hand and downloads the town report as XLSX and CSV with its Chinese headers', async ({ page, request }) => {
  // 林店街道: two registered in the period, one of them paid 350 yuan.
  const paid = residentId('34010319820202007');
  const unpaid = residentId('34010319820202008');
  for (const [idNumber, name] of [[paid, '林店甲'], [unpaid, '林店乙']]) {
    await callApi(request, 'staff', 'POST', '/api/enrolments', { policy: 'luyang-2023', idNumber, name, town: '林店街道', phone: '13700000000', source: 'window' });
  }
  await callApi(request, 'staff', 'POST', '/api/payments', { policy: 'luyang-2023', idNumber: paid, amount: 350, paidOn: '2022-10-10', channel: 'cash', transactionId: 'E2E-LINDIAN-1', inTreasury: false });

  await signIn(page, 'admin');
  await page.getByRole('menuitem', { name: '定时任务与函数' }).click();
  await choose(page, '定时任务', '乡镇街道月报（报送日生成）');
  // luyang-2023 八(四): reported by the 15th of each month; run as of that day, the report is as of the 14th.
  await page.getByLabel('执行日').fill('2022-10-15');
  await page.getByLabel('执行日').press('Enter');
  await page.getByTestId('run-job').click();
  await expect(page.getByTestId('job-result')).toContainText('（2022-10-15）：成功');
  await expect(page.getByTestId('job-result')).toContainText('luyang-2023');
  await expect(page.getByTestId('job-result')).toContainText('林店街道');

  await page.getByRole('menuitem', { name: '管理报表' }).click();
  await choose(page, '政策（年度）', luyang);
  await expect(page.getByRole('combobox', { name: '月份', exact: true })).toHaveValue('2022-10');
  await page.getByLabel('单位').fill('林店街道');
  const [xlsx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('monthly-xlsx').click()]);
  expect(xlsx.suggestedFilename()).toBe('luyang-2023-2022-10-林店街道.xlsx');
  const files = unzip(readFileSync(await xlsx.path()));
  expect(Object.keys(files)).toContain('xl/workbook.xml');
  const text = Object.entries(files).filter(([name]) => name.startsWith('xl/')).map(([, t]) => t).join('\n');
  for (const header of ['单位', '征缴任务数', '参保缴费人数', '任务完成率', '本期新增参保缴费人数']) expect(text).toContain(header);
  expect(text).toContain('林店街道');
  expect(text).not.toContain('海棠街道');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载 CSV' }).click()]);
  expect(csv.suggestedFilename()).toBe('luyang-2023-2022-10-林店街道.csv');
  const bytes = readFileSync(await csv.path());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = bytes.toString('utf8', 3).split('\r\n').filter(Boolean);
  expect(lines[0]).toBe('单位,类别,征缴任务数,参保登记人数,参保缴费人数,其中：个人缴费,其中：全额资助,其中：定额资助,未缴费人数,个人缴费金额,财政资助金额,任务完成率,距任务差额,本期新增登记人数,本期新增参保缴费人数,本期个人缴费金额');
  expect(lines).toHaveLength(2);
  const row = lines[1].split(',');
  // As of 2022-10-14: 2 registered, 1 insured, 1 unpaid, 350.00 paid; all of it new since the period opened.
  expect([row[0], row[1], row[3], row[4], row[8], row[9]]).toEqual(['林店街道', '乡镇街道', '2', '1', '1', '350.00']);
  expect(row.slice(-3)).toEqual(['2', '1', '350.00']);
  await expectAccessible(page);
  await screenshot(page, 'monthly-report');
});
