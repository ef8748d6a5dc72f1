/**
 * @module bench/device
 * One scrutineer device as its own process (each device is its own machine in a meeting, and
 * its signing must not stall the bench's clock): the reference `SimulatedScrutineer` of
 * server/simulate.ts, driven over the IPC channel by bench/system.ts. Commands: signIn,
 * step (one round of ceremony or decryption; replies whether it sent anything), confirm a
 * ballot, serve (keep answering issuance requests with `serveWhile` until stop), stop, exit.
 * It talks only to the 127.0.0.1 server it is given and exits when its parent goes away.
 */
import { backendChoice, useBackend } from '../crypto/index.ts';
import { SimulatedScrutineer, serveWhile } from '../server/simulate.ts';

export type DeviceCommand =
  | { id: number; cmd: 'signIn' }
  | { id: number; cmd: 'step' }
  | { id: number; cmd: 'confirm'; ballotId: string }
  | { id: number; cmd: 'serve' }
  | { id: number; cmd: 'stop' }
  | { id: number; cmd: 'exit' };

const [url, code] = process.argv.slice(2);
if (!url || !code || !/^https?:\/\/127\.0\.0\.1:\d+$/.test(url)) {
  console.error('bench/device: usage: device.ts http://127.0.0.1:PORT CODE');
  process.exit(2);
}
// The backends PIAOJUE_CRYPTO names (inherited from the bench), as the /scrutineer page loads them.
await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO));
const device = new SimulatedScrutineer(url, code);
let serving: { stop: () => void; done: Promise<void> } | null = null;

async function handle(m: DeviceCommand): Promise<unknown> {
  switch (m.cmd) {
    case 'signIn':
      await device.signIn();
      return device.index;
    case 'step':
      return device.step();
    case 'confirm':
      await device.confirm(m.ballotId);
      return true;
    case 'serve': {
      if (serving) return false;
      let stop!: () => void;
      const stopped = new Promise<void>((r) => (stop = r));
      serving = { stop, done: serveWhile([device], stopped) };
      return true;
    }
    case 'stop': {
      const s = serving;
      serving = null;
      if (!s) return false;
      s.stop();
      await s.done;
      return true;
    }
    case 'exit':
      setImmediate(() => process.exit(0));
      return true;
  }
}

process.on('message', (m: DeviceCommand) => {
  handle(m).then(
    (result) => process.send!({ id: m.id, result }),
    (e: unknown) => process.send!({ id: m.id, error: String((e as Error)?.message ?? e) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
