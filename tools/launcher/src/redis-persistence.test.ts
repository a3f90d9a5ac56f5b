import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redisPlace, redisServerArgs } from './infrastructure.js';
import { encodeCommand, keepsNothingOnDisk, parseReply, redisPersistenceWarning, RespError } from './redis-persistence.js';

describe('the Redis protocol, as far as the launcher speaks it', () => {
  it('encodes a command as an array of bulk strings', () => {
    expect(encodeCommand(['CONFIG', 'GET', 'save']).toString()).toBe('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n');
    expect(encodeCommand(['AUTH', 'pä']).toString()).toBe('*2\r\n$4\r\nAUTH\r\n$3\r\npä\r\n');
  });

  it("parses CONFIG GET's answer, an empty value, errors and replies that have not fully arrived", () => {
    const answer = Buffer.from('*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
    const first = parseReply(answer)!;
    expect(first.value).toEqual(['appendonly', 'no']);
    expect(parseReply(answer, first.next)!.value).toEqual(['save', '']);
    expect(parseReply(Buffer.from('+OK\r\n'))!.value).toBe('OK');
    expect(parseReply(Buffer.from('-NOPERM no\r\n'))!.value).toBeInstanceOf(RespError);
    expect(parseReply(Buffer.from('$-1\r\n'))!.value).toBeNull();
    expect(parseReply(answer.subarray(0, 20))).toBeUndefined();
    expect(parseReply(Buffer.from('*2\r\n$10\r\nappendonly\r\n'))).toBeUndefined();
  });
});

describe('Redis persistence', () => {
  it('counts a Redis with neither the append-only file nor save points as keeping nothing', () => {
    expect(keepsNothingOnDisk({ appendonly: 'no', save: '' })).toBe(true);
    expect(keepsNothingOnDisk({ appendonly: 'yes', save: '' })).toBe(false);
    expect(keepsNothingOnDisk({ appendonly: 'no', save: '3600 1 300 100 60 10000' })).toBe(false);
  });

  it('warns with what is lost, that Wharf reconciles it at a cost, and how to turn AOF on for that server', () => {
    const warning = redisPersistenceWarning('127.0.0.1', 6380);
    expect(warning).toMatch(/^warning: the Redis at 127\.0\.0\.1:6380 keeps nothing on disk/);
    expect(warning).toContain("jobservice's job state");
    expect(warning).toContain('reconciles');
    expect(warning).toContain('redis-cli -h 127.0.0.1 -p 6380 CONFIG SET appendonly yes');
  });

  it('starts a local Redis with the append-only file on, in the given place, on the endpoint port', () => {
    const args = redisServerArgs(6390, { dir: '/data/redis', logFile: '/data/redis/redis.log' });
    const value = (flag: string) => args[args.indexOf(flag) + 1];
    expect(value('--appendonly')).toBe('yes');
    expect(value('--dir')).toBe('/data/redis');
    expect(value('--logfile')).toBe('/data/redis/redis.log');
    expect(value('--port')).toBe('6390');
    expect(args).toContain('-::1');
    expect(redisServerArgs(6390, { dir: '/d', logFile: '/d/l' }, false)).not.toContain('-::1');
  });

  it('keeps the data of a Redis on another port under the data dir', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-redis-place-'));
    try {
      expect(redisPlace(6391, dataDir)).toEqual({ dir: join(dataDir, 'redis'), logFile: join(dataDir, 'redis', 'redis.log') });
      expect(statSync(join(dataDir, 'redis')).isDirectory()).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
