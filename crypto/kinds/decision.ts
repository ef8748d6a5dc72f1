/**
 * @module crypto/kinds/decision
 * 常委会票决 (`decision`): the standing committee votes per nominee; a nominee passes iff agree
 * votes are more than half of the standing members entitled (exactly half fails); the ballot
 * opens only with two thirds of them present (protocol §8.2).
 */
import { approvalKind } from './approval.ts';

export const decision = approvalKind({
  id: 'decision',
  entitled: ['standing'],
  rule: { option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } },
  met: 'passed',
  notMet: 'failed',
});
