/** A small HTTP service for the demo and the docs: answers with what it received, as JSON. */
import http from 'node:http';

export interface EchoService {
  port: number;
  close(): Promise<void>;
}

export function startEchoService(name: string, host: string, port: number): Promise<EchoService> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ service: name, method: req.method, url: req.url, headers: req.headers, body_bytes: Buffer.concat(chunks).length }, null, 2);
      res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name });
      res.end(`${body}\n`);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : port,
        close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
      });
    });
  });
}
