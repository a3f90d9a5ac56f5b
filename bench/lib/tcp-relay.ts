/**
 * The least a proxy hop can do: a bare TCP relay (node:net, no HTTP parsing) to the port in
 * argv[2]. Run as its own process by the benchmark, which reads its CPU time; prints
 * `listening <port>` once ready.
 */
import { connect, createServer } from 'node:net';

const target = Number(process.argv[2]);
const server = createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  client.pipe(upstream);
  upstream.pipe(client);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
