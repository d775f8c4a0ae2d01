// Chinese labels of the glossary's codes (docs: /work/shared/glossary.md; the API accepts either).
export const identities = {
  'extreme-poverty': '特困人员', orphan: '孤儿', 'children-in-difficulty': '困境儿童', 'minimum-living-allowance': '低保对象',
  'low-income-margin': '边缘易致贫户', 'low-income-family': '低保边缘家庭', 'low-income-margin-elderly': '低保边缘家庭老年人',
  'poverty-lifted': '脱贫人口', 'poverty-unstable': '脱贫不稳定户', 'returned-to-poverty': '返贫致贫人口', 'at-risk-of-returning': '防止返贫监测对象',
  'sudden-hardship': '突发严重困难户', 'disabled-grade-1': '一级残疾人', 'disabled-grade-2': '二级残疾人', 'disabled-unable-to-work': '丧失劳动能力的残疾人',
  sanmin: '"三民"人员', 'ethnic-minority': '少数民族', 'family-planning-special': '计划生育特殊家庭父母',
};
export const allowanceClasses = { 'rural-1': '农村一类', 'rural-2': '农村二类', 'rural-3': '农村三类', 'rural-4': '农村四类', 'urban-full': '城市全额', 'urban-differential': '城市差额' };
export const populations = { resident: '城乡居民（非在校）', preschool: '学龄前儿童', student: '在校学生', 'university-student': '大学生', newborn: '新生儿' };
export const ineligible = {
  'in-employee-insurance': '已参加职工基本医疗保险', 'no-residence-permit': '非本地户籍且未持本地居住证', 'collection-not-open': '征缴期尚未开始',
  'collection-closed': '征缴期已结束', 'no-coverage-left': '待遇享受期内已无可享受的待遇期间',
};
