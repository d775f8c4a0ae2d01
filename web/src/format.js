// How the console writes things: dates yyyy-MM-dd (China calendar), money in yuan with two decimals, ID numbers masked.

const chinaDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });
const chinaTime = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });

/** yyyy-MM-dd: a date as the API gives it, or an instant shown as its day in China. */
export function date(value) {
  if (!value) return '—';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : chinaDate.format(d);
}

/** yyyy-MM-dd HH:mm in China time. */
export function dateTime(value) {
  if (!value) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : `${chinaDate.format(d)} ${chinaTime.format(d)}`;
}

/** 1,234.50 元 */
export function money(value) {
  if (value === null || value === undefined || value === '') return '—';
  const n = Number(value);
  if (Number.isNaN(n)) return String(value);
  return `${n.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} 元`;
}

/** 110101********4511: first six and last four characters (already masked numbers stay as they are). */
export function maskId(id) {
  if (!id) return '—';
  const s = String(id);
  if (s.includes('*') || s.length < 10) return s;
  return s.slice(0, 6) + '*'.repeat(s.length - 10) + s.slice(-4);
}

export const enrolmentStatus = { assessed: '已核定', paid: '已缴费', active: '享受待遇', expired: '已到期', cancelled: '已注销' };
export const refundStages = {
  checking: '审核中', 'awaiting-tax-acceptance': '待税务受理', 'awaiting-approval': '待审批', 'awaiting-cash-return': '待退还现金',
  issuing: '退款中', 'correcting-enrolment': '更正参保', done: '已办结', rejected: '已驳回', failed: '失败',
};
export const refundReasons = {
  'duplicate-payment': '重复缴费', 'joined-employee-insurance': '参加职工医保', deceased: '死亡', 'duplicate-enrolment': '重复参保',
  'moved-pooling-region': '跨统筹区变更', 'gave-up-before-deadline': '放弃缴费', 'subsidised-paid-full': '资助对象错按全额缴费', 'wrongly-collected': '误收费款',
};
export const channels = {
  'wechat-scan': '微信扫码', online: '线上缴费', cash: '现金', 'bank-counter': '银行柜台', 'tax-client': '税务客户端', unified: '统一代收',
  'assistance-fund': '医疗救助资金代缴', 'cash-not-in-treasury': '现金（未入库）', 'cash-in-treasury': '现金（已入库）',
};
export const subsidyModes = { none: '无资助', waived: '全额资助（个人免缴）', deducted: '定额资助（缴费时扣减）', rebate: '先缴后补' };
export const refundEvents = {
  opened: '受理', checked: '审核通过', 'check-failed': '审核未通过', approve: '审批通过', reject: '审批驳回', 'tax-accepted': '税务受理',
  'cash-returned': '现金已退还', 'refund-issued': '已退款', 'enrolment-corrected': '已更正参保', 'activity-failed': '办理出错', failed: '失败', rejected: '已驳回',
};
export const roleNames = { admin: '系统管理员', staff: '医保局工作人员', approver: '审批人', tax: '税务人员', community: '社区/乡镇工作人员', school: '学校/高校管理员' };
export const departments = {
  'civil-affairs': '民政', 'disabled-federation': '残联', 'rural-revitalisation': '乡村振兴', 'ethnic-affairs': '民委', health: '卫健',
};
export const changeCauses = {
  enrolled: '登记参保', 'payment-posted': '缴费到账', 'coverage-started': '待遇生效', 'coverage-ended': '待遇到期', cancelled: '注销参保',
  'roster-updated': '名册更新', 'top-up': '补差', rebate: '返还',
};
/** Where an enrolment came from: window, roster:SCH001, subsidy-list, … */
export const sourceName = (s) => (s?.startsWith('roster:') ? `学校名册 ${s.slice(7)}` : { window: '窗口', 'subsidy-list': '资助名单' }[s] || s || '—');
export const label = (table, code) => (code && table[code]) || code || '—';
/** 代收单位 as payments and remittances name it: community:名称, township:名称, school:代码, window. */
export const collectorKinds = { community: '社区（村）', township: '乡镇（街道）', school: '学校/高校', window: '窗口' };
export function collectorName(collector) {
  if (!collector) return '—';
  if (collector === 'window') return '窗口';
  const i = collector.indexOf(':');
  return i > 0 && collectorKinds[collector.slice(0, i)] ? `${collectorKinds[collector.slice(0, i)]} ${collector.slice(i + 1)}` : collector;
}
export const cashWarnings = { 'cash-held-too-long': '超过汇缴期限', 'cash-amount-reached': '达到汇缴限额', 'university-not-in-treasury': '高校代收未入库' };
