// test/common looks for an `openssl-cli` bundled next to the node binary, which a distro Node lacks: point its
// `opensslCli` at the system openssl (or $NODE_COMPAT_OPENSSL). Used by both preloads, so the adapter run and the
// stock-Node run drive the same openssl.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export function useSystemOpenssl() {
  const testsDir = process.env['NODE_TESTS_DIR'];
  if (testsDir === undefined) return;
  const commonPath = join(testsDir, 'test', 'common', 'index.js');
  if (!existsSync(commonPath)) return;
  const common = createRequire(commonPath)(commonPath);
  const openssl = process.env['NODE_COMPAT_OPENSSL'] ?? 'openssl';
  Object.defineProperty(common, 'opensslCli', { get: () => openssl, configurable: true });
}
