/**
 * @module crypto/kinds/consultation
 * 全委会征求意见 (`consultation`): every 委员 and 候补委员 gives an opinion per nominee; a nominee
 * is dropped iff disagree votes are more than half of those entitled, and kept otherwise
 * (protocol §8.2). No quorum by default.
 */
import { approvalKind } from './approval.ts';

export const consultation = approvalKind({
  id: 'consultation',
  entitled: ['standing', 'full', 'alternate'],
  rule: { option: 'disagree', base: 'entitled', threshold: { num: 1, den: 2 }, strict: true, quorum: null },
  met: 'dropped',
  notMet: 'kept',
});
