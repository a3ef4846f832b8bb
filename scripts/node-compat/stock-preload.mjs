// Preload for the stock-Node run of a test that failed with the adapter (scripts/node-compat/run.mjs): only what
// preload.mjs does besides the substitution — test/common's openssl is the system one — so both runs drive the same
// openssl and a test that fails with it on stock Node too is told apart.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const testsDir = process.env['NODE_TESTS_DIR'];
if (testsDir !== undefined) {
  const commonPath = join(testsDir, 'test', 'common', 'index.js');
  if (existsSync(commonPath)) {
    const common = createRequire(commonPath)(commonPath);
    const openssl = process.env['NODE_COMPAT_OPENSSL'] ?? 'openssl';
    Object.defineProperty(common, 'opensslCli', { get: () => openssl, configurable: true });
  }
}
