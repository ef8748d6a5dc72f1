/**
 * @module crypto/kinds/plenary
 * 全委会表决 (`plenary`): only 委员 (standing and full members) vote; 候补委员 attend without a
 * vote (列席); two thirds of the entitled present to open; a nominee passes iff agree votes are
 * more than half of the 委员 entitled, exactly half fails (protocol §8.2).
 */
import { approvalKind } from './approval.ts';

export const plenary = approvalKind({
  id: 'plenary',
  entitled: ['standing', 'full'],
  attendingWithoutVote: ['alternate'],
  rule: { option: 'agree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: { num: 2, den: 3 } },
  met: 'passed',
  notMet: 'failed',
});
