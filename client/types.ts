/**
 * @module client/types
 * The shapes of the API's answers (docs/api.md) as the client reads them. Crypto types
 * (rule, item, tally, receipt, bundle) come from crypto/ so there is one definition each.
 */
import type { Item, KindId, KindParams, MemberKind, RecusedItems, Round, Rule, Tally } from '../crypto/index.ts';

/** Ballot states (protocol §1 phases). */
export type BallotStatus = 'draft' | 'open' | 'closed' | 'published' | 'void';

/** `BallotView` of docs/api.md: live figures only, `result` once published. */
export type BallotView = {
  readonly id: string;
  readonly meetingId: string;
  readonly title: string;
  readonly type: KindId;
  readonly status: BallotStatus;
  readonly items: readonly Item[];
  /** The kind's option ids in selection-vector order (an evaluation's grade set). */
  readonly options: readonly string[];
  readonly rule: Rule;
  /** A recommendation's {post, seats}; {} otherwise. */
  readonly params: KindParams;
  readonly recused: readonly string[];
  /** Members recused from single items (回避); the tablet's shape needs all of them. */
  readonly recusedItems: readonly RecusedItems[];
  /** The round (第二轮) and the ballot it follows. */
  readonly round: Round;
  readonly publicKey: string | null;
  /** The ceremony's election key (sealed ballots), once open. */
  readonly electionKey: string | null;
  /** The ceremony fingerprint (系统校验码), once open. */
  readonly fingerprint: string | null;
  readonly entitled: number;
  readonly present: number;
  readonly issued: number;
  readonly cast: number;
  /** Scrutineer devices that confirmed the attendance (清点人数) of this ballot. */
  readonly confirmations: number;
  /** Valid decryption shares received after the close. */
  readonly decryptions: number;
  readonly quorumMet: boolean;
  readonly result: Tally | null;
};

/** Ceremony states of `ScrutinyView` (docs/api.md). */
export type CeremonyStatus = 'unnamed' | 'waiting' | 'running' | 'ready' | 'failed';

/** `ScrutinyView` of docs/api.md: the scrutineers, their devices and the key ceremony (never a code). */
export type ScrutinyView = {
  readonly n: number;
  readonly t: number;
  readonly scrutineers: readonly { readonly index: number; readonly name: string; readonly hasCode: boolean; readonly registered: boolean; readonly online: boolean }[];
  readonly ceremony: { readonly status: CeremonyStatus; readonly fingerprint: string | null; readonly failure: string | null };
};

/** A scrutineer's sign-in code as returned once by POST /api/meetings/:mid/scrutineers. */
export type ScrutineerCode = { readonly index: number; readonly name: string; readonly code: string };

/** A ballot as the tablet sees it: whether this member votes on it and was issued a token. */
export type TabletBallot = Omit<BallotView, 'issued'> & {
  readonly eligible: boolean;
  readonly issued: boolean;
  /** The secretary re-issued this ballot to the member (补发) and no tablet has asked for it yet. */
  readonly reissue: boolean;
  /** The item indices this member is recused from (回避): shown as such, left blank. */
  readonly myRecusedItems: readonly number[];
};

export type MeetingStatus = 'active' | 'ended';

export type TabletMember = { readonly id: string; readonly name: string; readonly kind: MemberKind; readonly title?: string; readonly category?: string | null };

/** GET /api/tablet. */
export type TabletState = {
  readonly member: TabletMember;
  readonly meeting: { readonly id: string; readonly title: string; readonly status: MeetingStatus };
  readonly ballots: readonly TabletBallot[];
};

/** POST /api/checkin. */
export type CheckinAnswer = { readonly member: TabletMember; readonly meeting: { readonly id: string; readonly title: string } };

export type MeetingSummary = { readonly id: string; readonly title: string; readonly status: MeetingStatus; readonly createdAt: number };

/** What the secretary sees of a member (never the code). */
export type MemberView = {
  readonly id: string;
  readonly name: string;
  readonly kind: MemberKind;
  readonly title: string;
  /** A participant's category (类别: 乡镇党政正职, 群众代表 …); empty otherwise. */
  readonly category?: string | null;
  readonly present: boolean;
  /** present (签到), absent (not signed in), leave (请假) or left (离会), as the secretary recorded it. */
  readonly status: 'present' | 'absent' | 'leave' | 'left';
  readonly hasCode: boolean;
};

/** A ballot on the console: the public view and, while open, the present entitled members without a ballot yet (names only). */
export type SecretaryBallot = BallotView & { readonly withoutBallot: readonly { readonly memberId: string; readonly name: string }[] };

/** GET /api/meetings/:mid. */
export type MeetingDetail = { readonly meeting: MeetingSummary; readonly members: readonly MemberView[]; readonly ballots: readonly SecretaryBallot[]; readonly scrutiny: ScrutinyView };

/** A sign-in code as returned once by POST /codes or a re-issue. */
export type IssuedCode = { readonly memberId: string; readonly name: string; readonly code: string };

/** GET /api/meetings/:mid/screen and the data of every SSE event. */
export type ScreenView = {
  readonly meeting: { readonly id: string; readonly title: string; readonly status: MeetingStatus };
  readonly members: number;
  readonly present: number;
  readonly scrutiny: ScrutinyView;
  readonly ballots: readonly BallotView[];
};
