// Preload for the stock-Node run of a test that failed with the adapter (scripts/node-compat/run.mjs): only what
// preload.mjs does besides the substitution — test/common's openssl is the system one — so both runs drive the same
// openssl and a test that fails with it on stock Node too is told apart.
import { useSystemOpenssl } from './system-openssl.mjs';

useSystemOpenssl();
