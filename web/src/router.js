import { createRouter, createWebHistory } from 'vue-router';
import { session, hasRole, signedIn } from './session.js';

// Each page names the roles that may use it (admin may use every page); the menu shows only those, and the first
// a role may use is where it lands (community staff: the cash refunds waiting for them).
export const pages = [
  { path: '/rosters', name: 'rosters', title: '名册上传', roles: ['school', 'staff'], component: () => import('./pages/Rosters.vue') },
  { path: '/cash-refunds', name: 'cash-refunds', title: '现金退费', roles: ['community'], component: () => import('./pages/CashRefunds.vue') },
  { path: '/enrol', name: 'enrol', title: '参保登记与缴费', roles: ['staff', 'community'], component: () => import('./pages/Enrol.vue') },
  { path: '/tax', name: 'tax', title: '税务受理与回传', roles: ['tax'], component: () => import('./pages/Tax.vue') },
  { path: '/remittances', name: 'remittances', title: '现金汇缴', roles: ['community', 'school', 'staff', 'tax'], component: () => import('./pages/Remittances.vue') },
  { path: '/reminders', name: 'reminders', title: '催缴与动员名单', roles: ['community', 'staff'], component: () => import('./pages/Reminders.vue') },
  { path: '/approvals', name: 'approvals', title: '退费审批', roles: ['approver'], component: () => import('./pages/Approvals.vue') },
  { path: '/people', name: 'people', title: '人员查询与退费', roles: ['staff'], component: () => import('./pages/People.vue') },
  { path: '/subsidy-lists', name: 'subsidy-lists', title: '资助名单', roles: ['staff'], component: () => import('./pages/SubsidyLists.vue') },
  { path: '/reports', name: 'reports', title: '对账与结算', roles: ['staff'], component: () => import('./pages/Reports.vue') },
  { path: '/progress', name: 'progress', title: '征缴进度', roles: ['staff'], component: () => import('./pages/Progress.vue') },
  { path: '/management', name: 'management', title: '管理报表', roles: ['staff'], component: () => import('./pages/Management.vue') },
  { path: '/admin', name: 'admin', title: '定时任务与函数', roles: ['admin'], component: () => import('./pages/Admin.vue') },
];

export const visiblePages = () => pages.filter((p) => hasRole(...p.roles));

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./pages/SignIn.vue'), meta: { public: true } },
    ...pages.map((p) => ({ ...p, meta: { roles: p.roles, title: p.title } })),
    { path: '/', name: 'home', redirect: () => (visiblePages()[0]?.path ?? '/login') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!signedIn()) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  if (!session.me) {
    const { loadMe } = await import('./me.js');
    if (!(await loadMe())) return { name: 'login' };
  }
  if (to.meta.roles && !hasRole(...to.meta.roles)) return visiblePages()[0]?.path ?? { name: 'login' };
  return true;
});

router.afterEach((to) => { document.title = `${to.meta.title ? to.meta.title + ' - ' : ''}城乡居民医保征缴管理平台`; });
