/**
 * nginx as a yardstick when the machine has it (`apt-get install nginx-light`): a reverse proxy with
 * keep-alive to the upstream, optionally with ngx_http_mirror_module copying every request to a shadow.
 * Returns undefined when nginx is not installed, so benchmarks skip it with a note.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitForHttp } from './process';

export interface RunningNginx {
  child: ChildProcess;
  url: string;
}

export function nginxBinary(): string | undefined {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v'], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

export async function startNginx(dir: string, upstreamPort: number, mirrorPort?: number): Promise<RunningNginx | undefined> {
  const bin = nginxBinary();
  if (!bin) return undefined;
  const port = await freePort();
  const root = path.join(dir, `nginx-${port}`);
  mkdirSync(root, { recursive: true });
  const mirror = mirrorPort
    ? `mirror /__mirror; mirror_request_body on;` : '';
  const mirrorLocation = mirrorPort
    ? `location = /__mirror { internal; proxy_pass http://shadow$request_uri; proxy_http_version 1.1; proxy_set_header Connection ""; }` : '';
  writeFileSync(path.join(root, 'nginx.conf'), `
daemon off;
worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${root}/body; proxy_temp_path ${root}/proxy;
  fastcgi_temp_path ${root}/fastcgi; uwsgi_temp_path ${root}/uwsgi; scgi_temp_path ${root}/scgi;
  upstream primary { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  ${mirrorPort ? `upstream shadow { server 127.0.0.1:${mirrorPort}; keepalive 128; }` : ''}
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / { ${mirror} proxy_pass http://primary; proxy_http_version 1.1; proxy_set_header Connection ""; }
    ${mirrorLocation}
  }
}
`);
  const child = spawn(bin, ['-p', root, '-c', path.join(root, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/`, 10_000);
  return { child, url };
}
