/**
 * Generated sandbox accounts for load tests and benchmarks: distinct ids, names and passwords,
 * shaped like the shipped demo accounts (Chinese names and units, so strings are two-byte as
 * they are in production).
 */
import type { SandboxAccountInput } from '../../../demo/sandbox/app.ts';

export interface GeneratedAccount extends SandboxAccountInput {
  account: string;
  password: string;
  userId: string;
}

const UNITS = ['广东省政务服务和数据管理局', '广州市人力资源和社会保障局', '深圳市公安局', '佛山市自然资源局', '东莞市教育局'];
const DEPTS = ['数据资源处', '就业促进处', '指挥中心', '规划科', '办公室'];

export function makeAccounts(count: number, prefix = 'load'): GeneratedAccount[] {
  const accounts: GeneratedAccount[] = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(6, '0');
    accounts.push({
      userId: `gd-${prefix}-${n}`,
      account: `${prefix}${n}`,
      password: `Pw-${prefix}-${n}!`,
      name: `测试用户${n}`,
      orgName: UNITS[i % UNITS.length]!,
      orgCode: `11440000MB${n}X`,
      deptName: DEPTS[i % DEPTS.length]!,
      title: '主任科员',
      mobile: `138${String(i).padStart(8, '0')}`,
      email: `${prefix}${n}@gd.gov.cn`,
    });
  }
  return accounts;
}
