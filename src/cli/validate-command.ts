/**
 * `shadowgate validate -f FILE`: checks an Envoy bootstrap, or a push config (listeners/routes/
 * clusters/endpoints), with the same code the gateway and control plane run. Exit 0 valid, 1 invalid.
 */
import { readFile } from 'node:fs/promises';
import { parseFlags } from './args';
import { parseConfigText, readBootstrap } from '../config/bootstrap';
import { ConfigError, formatProblem } from '../config/problems';
import { isObject } from '../config/proto-json';
import { readPushDocument } from '../control-plane/push-document';
import { RESOURCE_KINDS } from '../control-plane/resource-kinds';
import { validatePush } from '../control-plane/push-validation';
import { ShadowgateError } from '../errors';

export async function runValidateCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, { file: { type: 'string', short: 'f' }, 'config-path': { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } }, 'validate');
  const file = flags.file ?? flags['config-path'];
  if (flags.help || !file) {
    process.stdout.write('usage: shadowgate validate -f FILE   (an Envoy bootstrap, or a push config with listeners/routes/clusters/endpoints)\n');
    if (!file && !flags.help) throw new ShadowgateError('SG_ERR_CLI_USAGE', 'validate: -f FILE is required');
    return 0;
  }
  let text: string;
  try {
    text = await readFile(String(file), 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: String(file), message: `cannot read file: ${(err as NodeJS.ErrnoException).code}` }]);
  }
  const doc = parseConfigText(text, String(file));
  const isPush = isObject(doc) && RESOURCE_KINDS.some((k) => k in doc) && !('static_resources' in doc);
  if (isPush) {
    // Exactly what the control plane's Push/Validate accept (src/control-plane/push-validation).
    const parsed = readPushDocument(doc);
    if (!parsed.lists) throw new ConfigError(parsed.problems);
    const result = validatePush(parsed.lists);
    for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
    if (!result.encoded) throw new ConfigError(result.problems);
  } else {
    for (const w of readBootstrap(doc).warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  }
  process.stdout.write(`${file}: valid\n`);
  return 0;
}
