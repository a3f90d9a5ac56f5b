import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** What a Redis keeps on disk, as `CONFIG GET` answers. */
export interface RedisPersistence {
  /** `yes` when the append-only file is on. */
  appendonly: string;
  /** The RDB save points (`3600 1 300 100`), empty when snapshots are off. */
  save: string;
}

/** A reply of the Redis protocol (RESP2). */
export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RespError';
  }
}

/** One command in the Redis protocol: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/** Parses one reply at `offset`; undefined while `buffer` does not hold all of it yet. */
export function parseReply(buffer: Buffer, offset = 0): { value: RespValue; next: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return undefined;
  const type = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return undefined;
      return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RespError(`unexpected reply type ${JSON.stringify(type)}`);
  }
}

/** Sends `commands` in one go on a fresh connection and returns their replies, in order. */
async function send(url: URL, commands: readonly string[][], timeoutMs: number): Promise<RespValue[]> {
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  const socket: Socket = url.protocol === 'rediss:' ? connectTls({ host, port, servername: host }) : connectTcp({ host, port });
  try {
    return await new Promise<RespValue[]>((resolve, reject) => {
      let buffer = Buffer.alloc(0);
      const replies: RespValue[] = [];
      socket.setTimeout(timeoutMs, () => reject(new Error(`no answer from redis at ${host}:${port}`)));
      socket.once('error', reject);
      socket.once('close', () => reject(new Error(`redis at ${host}:${port} closed the connection`)));
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        try {
          for (let reply = parseReply(buffer); reply; reply = parseReply(buffer)) {
            replies.push(reply.value);
            buffer = buffer.subarray(reply.next);
            if (replies.length === commands.length) return resolve(replies);
          }
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      socket.write(Buffer.concat(commands.map(encodeCommand)));
    });
  } finally {
    socket.destroy();
  }
}

/**
 * Asks the Redis at `redisUrl` (credentials from the URL) what it keeps on disk; undefined
 * when it does not say (CONFIG disabled, as on some managed services).
 */
export async function readRedisPersistence(redisUrl: string, timeoutMs = 3000): Promise<RedisPersistence | undefined> {
  const url = new URL(redisUrl);
  const commands: string[][] = [];
  if (url.password) commands.push(['AUTH', ...(url.username ? [decodeURIComponent(url.username)] : []), decodeURIComponent(url.password)]);
  commands.push(['CONFIG', 'GET', 'appendonly'], ['CONFIG', 'GET', 'save']);
  const replies = await send(url, commands, timeoutMs);
  const [appendonly, save] = replies.slice(-2).map((reply) => (Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : undefined));
  if (appendonly === undefined || save === undefined) return undefined;
  return { appendonly, save };
}

/** True when a restart of this Redis empties it: no append-only file and no snapshots. */
export function keepsNothingOnDisk(persistence: RedisPersistence): boolean {
  return persistence.appendonly.trim().toLowerCase() !== 'yes' && persistence.save.trim() === '';
}

/** The warning `npm start` prints once when the Redis it uses keeps nothing on disk. */
export function redisPersistenceWarning(host: string, port: number): string {
  return (
    `warning: the Redis at ${host}:${port} keeps nothing on disk (appendonly no, no save points): when it restarts, ` +
    `jobservice's job state (job stats, status hooks not yet delivered, schedules) is lost; Wharf reconciles it ` +
    `from core afterwards, re-running or ending the jobs it no longer knows, which costs time and work. ` +
    `To keep it, turn the append-only file on: redis-cli -h ${host} -p ${port} CONFIG SET appendonly yes, and ` +
    `put "appendonly yes" in its redis.conf (or start redis-server with --appendonly yes) so it stays on`
  );
}
