/**
 * The benchmark's data: RECORD_COUNT orders (schemas/bench.capnp, struct Order) generated from a fixed seed,
 * as plain objects (64-bit integers as bigint, Data as Uint8Array, Float32 fields already rounded to
 * float32). Also the reference checksum every library's read-all-fields must reproduce, and a canonical
 * string form for comparing decoded records.
 */

export const RECORD_COUNT = 16;
const SEED = 0x5eed_c0de;

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Barbara', 'Edsger', 'Zoë', 'José', 'Ken', 'Radia', 'Niklaus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Liskov', 'Dijkstra', 'Müller', 'García', 'Thompson', 'Wirth'];
const STREETS = [
  'Main Street',
  'Elm Avenue',
  'Harbour Road',
  'Rue de la Paix',
  'Kings Parade',
  'Calle Mayor',
];
const CITIES = ['Springfield', 'Cambridge', 'Zürich', 'Lyon', 'Portland', 'Kraków', 'Osaka', 'Valparaíso'];
const ADJECTIVES = ['red', 'large', 'wireless', 'organic', 'refurbished', 'compact', 'vintage', 'stainless'];
const NOUNS = ['kettle', 'keyboard', 'notebook', 'lamp', 'backpack', 'headphones', 'teapot', 'bicycle bell'];
const TAGS = ['gift', 'express', 'fragile', 'b2b', 'first-order', 'loyalty', 'international', 'weekend'];

/** Generates the records; the same every run. */
export function makeRecords() {
  const rnd = prng(SEED);
  const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = (list) => list[int(0, list.length - 1)];
  const u32 = () => Math.floor(rnd() * 2 ** 32);
  const records = [];
  for (let r = 0; r < RECORD_COUNT; r++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const items = [];
    const itemCount = int(20, 60);
    let total = 0;
    for (let i = 0; i < itemCount; i++) {
      const quantity = int(1, 20);
      const unitPrice = int(99, 99_999) / 100;
      total += quantity * unitPrice;
      items.push({
        productId: u32(),
        quantity,
        unitPrice,
        taxable: rnd() < 0.7,
        name: `${pick(ADJECTIVES)} ${pick(NOUNS)} #${int(1, 999)}`,
      });
    }
    const signature = new Uint8Array(int(32, 64));
    for (let i = 0; i < signature.length; i++) signature[i] = int(0, 255);
    const history = [];
    for (let i = int(16, 64); i > 0; i--) history.push(int(-2_000_000_000, 2_000_000_000));
    const tags = [];
    for (let i = int(0, 6); i > 0; i--) tags.push(pick(TAGS));
    const kind = int(0, 2);
    records.push({
      id: (BigInt(u32()) << 32n) | BigInt(u32()),
      createdAt: BigInt(1_600_000_000_000 + int(0, 200_000_000_000)) * (rnd() < 0.1 ? -1n : 1n),
      customerAge: int(18, 99),
      priority: int(-1000, 1000),
      visits: u32(),
      total: Math.round(total * 100) / 100,
      verified: rnd() < 0.5,
      status: int(0, 3),
      customer: `${first} ${last}`,
      email: `${first}.${last}@example.org`.toLowerCase(),
      signature,
      shipTo: {
        street: `${int(1, 2500)} ${pick(STREETS)}`,
        city: pick(CITIES),
        zip: int(10_000, 99_999),
        latitude: Math.fround(rnd() * 180 - 90),
        longitude: Math.fround(rnd() * 360 - 180),
      },
      items,
      history,
      tags,
      contact:
        kind === 0
          ? { which: 0 }
          : kind === 1
            ? { which: 1, phone: `+1-555-${String(int(0, 9999)).padStart(4, '0')}` }
            : { which: 2, pager: u32() },
    });
  }
  return records;
}

/**
 * The read-all-fields checksum of a record. Every library's reader computes the same sum in the same
 * order from what it reads, so equal sums mean every field was read back with the same value.
 */
export function foldRecord(o) {
  let s = Number(o.id & 0xffffffffn) + Number(o.createdAt & 0xffffffffn);
  s += o.customerAge + o.priority + o.visits + o.total + (o.verified ? 1 : 0) + o.status;
  s += o.customer.length + o.email.length;
  s += o.signature.length + o.signature[0];
  const a = o.shipTo;
  s += a.street.length + a.city.length + a.zip + a.latitude + a.longitude;
  for (const it of o.items)
    s += it.productId + it.quantity + it.unitPrice + (it.taxable ? 1 : 0) + it.name.length;
  for (const h of o.history) s += h;
  for (const t of o.tags) s += t.length;
  const c = o.contact;
  s += c.which;
  if (c.which === 1) s += c.phone.length;
  else if (c.which === 2) s += c.pager;
  return s;
}

/** A canonical string of a plain record (bigint and Uint8Array spelled out), for equality checks. */
export function canonical(record) {
  return JSON.stringify(record, (_key, v) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v,
  );
}
