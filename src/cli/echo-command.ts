/** `shadowgate echo-service --name v1 --port 8080`: the demo upstream (answers with what it received). */
import { parseFlags, untilSignal } from './args';
import { startEchoService } from '../demo/echo-service';

export async function runEchoCommand(args: string[]): Promise<number> {
  const flags = parseFlags(args, { name: { type: 'string', default: 'demo' }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8080' }, help: { type: 'boolean', short: 'h' } }, 'echo-service');
  if (flags.help) {
    process.stdout.write('usage: shadowgate echo-service [--name NAME] [--host 127.0.0.1] [--port 8080]\n');
    return 0;
  }
  const svc = await startEchoService(String(flags.name), String(flags.host), Number(flags.port));
  process.stdout.write(`echo service ${flags.name} listening on ${flags.host}:${svc.port}\n`);
  await untilSignal();
  await svc.close();
  return 0;
}
