/**
 * The reference implementation's command-line tool (`capnp`, 0.9.2), run on bytes the tests produce, and
 * small helpers to look inside the messages it writes (segment table, far pointers).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { splitFramed } from '../../src/index';

export const SCHEMA = fileURLToPath(new URL('../schemas/all-types.capnp', import.meta.url));
export const ROOT_TYPE = 'AllTypes';

/** Whether the tool can be run here at all (the interoperability tests are skipped without it). */
export const haveCapnp = spawnSync('capnp', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * Runs `capnp` with `input` on stdin and returns stdout. The tool reports a message it cannot convert on
 * stderr and may still exit with status 0, so anything on stderr is a failure too.
 */
export function capnp(args: readonly string[], input: Uint8Array | string = ''): Buffer {
  const result = spawnSync('capnp', args, { input, maxBuffer: 256 << 20 });
  if (result.error) throw result.error;
  const stderr = result.stderr.toString();
  if (result.status !== 0 || stderr !== '') {
    throw new Error(`capnp ${args.join(' ')} failed (status ${result.status}):\n${stderr}`);
  }
  return result.stdout;
}

export type BinaryFormat = 'binary' | 'packed' | 'flat' | 'flat-packed' | 'canonical';

export interface ConvertOptions {
  /** Fixed segment size in words for binary output (the tool writes one segment without it). */
  segmentSize?: number;
  /** One message per line instead of the pretty-printed text. */
  short?: boolean;
}

function flags(options: ConvertOptions): string[] {
  const out: string[] = [];
  if (options.segmentSize !== undefined) out.push(`--segment-size=${options.segmentSize}`);
  if (options.short) out.push('--short');
  return out;
}

/** The tool's text for a message (or a stream of messages: one text per message, each ending in a newline). */
export function toText(
  bytes: Uint8Array,
  from: BinaryFormat = 'binary',
  options: ConvertOptions = {},
): string {
  return capnp(['convert', ...flags(options), `${from}:text`, SCHEMA, ROOT_TYPE], bytes).toString('utf8');
}

/** The tool's encoding of a text message (or of several, one after another). */
export function fromText(text: string, to: BinaryFormat = 'binary', options: ConvertOptions = {}): Buffer {
  return capnp(['convert', ...flags(options), `text:${to}`, SCHEMA, ROOT_TYPE], text);
}

/** A binary-to-binary conversion (the tool reads the message and copies its root into a new one). */
export function convert(
  bytes: Uint8Array,
  from: BinaryFormat,
  to: BinaryFormat,
  options: ConvertOptions = {},
): Buffer {
  return capnp(['convert', ...flags(options), `${from}:${to}`], bytes);
}

/** The segment sizes (in words) a framed message's segment table announces. */
export function segmentWords(framed: Uint8Array): number[] {
  return splitFramed(framed).segments.map((s) => s.byteLength / 8);
}

/** Splits a stream of framed messages into the messages. */
export function splitStream(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < stream.byteLength) {
    const { end } = splitFramed(stream.subarray(at));
    out.push(stream.subarray(at, at + end));
    at += end;
  }
  return out;
}

export interface PointerCensus {
  /** Struct and list pointers to an object in their own segment. */
  near: number;
  /** Far pointers to a landing pad that points at the object. */
  far: number;
  /** Far pointers to a two-word pad (a far pointer to the object, then the tag that describes it). */
  doubleFar: number;
}

/**
 * Walks every pointer reachable from the root of a framed message and counts how each is encoded, so a
 * test can show that a message really exercises far (and double-far) pointers. Written independently of
 * the package's reader, so a mistake there cannot hide here.
 */
export function pointerCensus(framed: Uint8Array): PointerCensus {
  const segments = splitFramed(framed).segments.map(
    (s) => new DataView(s.buffer, s.byteOffset, s.byteLength),
  );
  const census: PointerCensus = { near: 0, far: 0, doubleFar: 0 };
  const view = (id: number): DataView => {
    const v = segments[id];
    if (v === undefined) throw new Error(`a far pointer names segment ${id}, which does not exist`);
    return v;
  };

  const object = (seg: number, word: number, lo: number, hi: number): void => {
    if ((lo & 3) === 0) {
      const dataWords = hi & 0xffff;
      for (let i = 0; i < hi >>> 16; i++) pointer(seg, word + dataWords + i);
      return;
    }
    const size = hi & 7;
    const count = hi >>> 3;
    if (size === 6) for (let i = 0; i < count; i++) pointer(seg, word + i);
    if (size === 7) {
      const v = view(seg);
      const elements = v.getUint32(word * 8, true) >>> 2;
      const tagHi = v.getUint32(word * 8 + 4, true);
      const dataWords = tagHi & 0xffff;
      const pointers = tagHi >>> 16;
      for (let e = 0; e < elements; e++) {
        for (let i = 0; i < pointers; i++)
          pointer(seg, word + 1 + e * (dataWords + pointers) + dataWords + i);
      }
    }
  };

  const pointer = (seg: number, word: number): void => {
    const v = view(seg);
    const lo = v.getUint32(word * 8, true);
    const hi = v.getUint32(word * 8 + 4, true);
    if ((lo === 0 && hi === 0) || (lo & 3) === 3) return;
    if ((lo & 3) !== 2) {
      census.near++;
      object(seg, word + 1 + (lo >> 2), lo, hi);
      return;
    }
    const pad = lo >>> 3;
    const pv = view(hi);
    const plo = pv.getUint32(pad * 8, true);
    const phi = pv.getUint32(pad * 8 + 4, true);
    if ((lo & 4) === 0) {
      census.far++;
      object(hi, pad + 1 + (plo >> 2), plo, phi);
    } else {
      census.doubleFar++;
      object(phi, plo >>> 3, pv.getUint32(pad * 8 + 8, true), pv.getUint32(pad * 8 + 12, true));
    }
  };

  pointer(0, 0);
  return census;
}
