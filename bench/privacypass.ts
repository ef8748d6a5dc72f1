/**
 * @module bench/privacypass
 * Baseline: the token library a user would pick instead — @cloudflare/privacypass-ts,
 * RFC 9578 publicly verifiable tokens (type 2, blind RSA-2048 PSS) and privately
 * verifiable tokens (type 1, VOPRF P-384). Measures issuance (client request + issuer
 * signing + client finalisation) and redemption (origin verification) per second.
 */
import { publicVerif, privateVerif } from '@cloudflare/privacypass-ts';

async function rate(n: number, fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (n * 1000) / (performance.now() - t0);
}

/** Issuance and redemption rates of both privacypass token types. */
export async function privacypassBaseline(n = 10): Promise<Record<string, number>> {
  const { Issuer, Client, Origin, BlindRSAMode } = publicVerif;
  const keys = await Issuer.generateKey(BlindRSAMode.PSS, { modulusLength: 2048, publicExponent: Uint8Array.from([1, 0, 1]) });
  const pk = await publicVerif.getPublicKeyBytes(keys.publicKey);
  const issuer = new Issuer(BlindRSAMode.PSS, 'issuer.example', keys.privateKey, keys.publicKey);
  const origin = new Origin(BlindRSAMode.PSS, ['origin.example']);
  const challenge = origin.createTokenChallenge('issuer.example', new Uint8Array(32));
  const tokens: Awaited<ReturnType<InstanceType<typeof Client>['finalize']>>[] = [];
  const rsaIssue = await rate(n, async () => {
    const client = new Client(BlindRSAMode.PSS);
    const req = await client.createTokenRequest(challenge, pk);
    tokens.push(await client.finalize(await issuer.issue(req)));
  });
  let k = 0;
  const rsaRedeem = await rate(n, async () => {
    if (!(await origin.verify(tokens[k++ % tokens.length]!, keys.publicKey))) throw new Error('privacypass token did not verify');
  });

  const v = privateVerif;
  const vk = await v.keyGen();
  const vIssuer = new v.Issuer('issuer.example', vk.privateKey, vk.publicKey);
  const vOrigin = new v.Origin(['origin.example']);
  const vChallenge = vOrigin.createTokenChallenge('issuer.example', new Uint8Array(32));
  const vTokens: Awaited<ReturnType<InstanceType<typeof v.Client>['finalize']>>[] = [];
  const voprfIssue = await rate(n, async () => {
    const client = new v.Client();
    const req = await client.createTokenRequest(vChallenge, vk.publicKey);
    vTokens.push(await client.finalize(await vIssuer.issue(req)));
  });
  k = 0;
  const voprfRedeem = await rate(n, async () => {
    if (!(await vOrigin.verify(vTokens[k++ % vTokens.length]!, vk.privateKey))) throw new Error('voprf token did not verify');
  });
  return {
    privacypass_rsa_issue_per_s: rsaIssue,
    privacypass_rsa_redeem_per_s: rsaRedeem,
    privacypass_voprf_issue_per_s: voprfIssue,
    privacypass_voprf_redeem_per_s: voprfRedeem,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await privacypassBaseline());
