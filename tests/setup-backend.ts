// Every test file runs on the crypto backend a deployment would use (PIAOJUE_CRYPTO, default
// fast: mcl-wasm), as the server, its workers and the CLI verifier do at start-up.
// scripts/test.sh runs the crypto and reliability suites a second time with the reference.
import { backendChoice, useBackend } from '../crypto/backend.ts';

await useBackend(backendChoice(process.env.PIAOJUE_CRYPTO));
