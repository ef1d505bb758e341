/**
 * The JSON reference point: build = JSON.stringify of the record (64-bit integers as decimal strings, Data
 * as base64, as a JSON API would carry them) + TextEncoder; read = TextDecoder + JSON.parse and the same
 * read-all-fields sum (converting the strings back to bigint and bytes).
 */
export function json() {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  function build(r) {
    const text = JSON.stringify({
      id: r.id.toString(),
      createdAt: r.createdAt.toString(),
      customerAge: r.customerAge,
      priority: r.priority,
      visits: r.visits,
      total: r.total,
      verified: r.verified,
      status: r.status,
      customer: r.customer,
      email: r.email,
      signature: Buffer.from(r.signature.buffer, r.signature.byteOffset, r.signature.length).toString(
        'base64',
      ),
      shipTo: r.shipTo,
      items: r.items,
      history: r.history,
      tags: r.tags,
      contact: r.contact,
    });
    return encoder.encode(text);
  }

  /** The same sum as data.mjs foldRecord, from the parsed JSON. */
  function read(bytes) {
    const o = JSON.parse(decoder.decode(bytes));
    let s = Number(BigInt(o.id) & 0xffffffffn) + Number(BigInt(o.createdAt) & 0xffffffffn);
    s += o.customerAge + o.priority + o.visits + o.total + (o.verified ? 1 : 0) + o.status;
    s += o.customer.length + o.email.length;
    const sig = Buffer.from(o.signature, 'base64');
    s += sig.length + sig[0];
    const a = o.shipTo;
    s += a.street.length + a.city.length + a.zip + a.latitude + a.longitude;
    const items = o.items;
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      s += it.productId + it.quantity + it.unitPrice + (it.taxable ? 1 : 0) + it.name.length;
    }
    const history = o.history;
    for (let i = 0; i < history.length; i++) s += history[i];
    const tags = o.tags;
    for (let i = 0; i < tags.length; i++) s += tags[i].length;
    const c = o.contact;
    s += c.which;
    if (c.which === 1) s += c.phone.length;
    else if (c.which === 2) s += c.pager;
    return s;
  }

  return { build, input: (bytes) => bytes, read };
}
