/**
 * capnp-es's two workloads over its generated classes (bench/.build/capnp-es): build an Order from a plain
 * record and frame it (Message.toArrayBuffer), and read every field of a framed message. The reader is
 * given an ArrayBuffer: capnp-es copies an ArrayBufferView passed to `new Message`, but not an ArrayBuffer.
 */
export function capnpEs(capnp, gen) {
  const { Order } = gen;

  function build(r) {
    const m = new capnp.Message();
    const o = m.initRoot(Order);
    o.id = r.id;
    o.createdAt = r.createdAt;
    o.customerAge = r.customerAge;
    o.priority = r.priority;
    o.visits = r.visits;
    o.total = r.total;
    o.verified = r.verified;
    o.status = r.status;
    o.customer = r.customer;
    o.email = r.email;
    o._initSignature(r.signature.length).copyBuffer(r.signature);
    const a = o._initShipTo();
    const ra = r.shipTo;
    a.street = ra.street;
    a.city = ra.city;
    a.zip = ra.zip;
    a.latitude = ra.latitude;
    a.longitude = ra.longitude;
    const items = o._initItems(r.items.length);
    for (let i = 0; i < r.items.length; i++) {
      const src = r.items[i];
      const it = items.get(i);
      it.productId = src.productId;
      it.quantity = src.quantity;
      it.unitPrice = src.unitPrice;
      it.taxable = src.taxable;
      it.name = src.name;
    }
    const history = o._initHistory(r.history.length);
    for (let i = 0; i < r.history.length; i++) history.set(i, r.history[i]);
    const tags = o._initTags(r.tags.length);
    for (let i = 0; i < r.tags.length; i++) tags.set(i, r.tags[i]);
    const c = r.contact;
    if (c.which === 1) o.contact.phone = c.phone;
    else if (c.which === 2) o.contact.pager = c.pager;
    else o.contact.none = true;
    return new Uint8Array(m.toArrayBuffer());
  }

  /** The same sum as data.mjs foldRecord, from the message. */
  function read(buffer) {
    const o = new capnp.Message(buffer, false).getRoot(Order);
    let s = Number(o.id & 0xffffffffn) + Number(o.createdAt & 0xffffffffn);
    s += o.customerAge + o.priority + o.visits + o.total + (o.verified ? 1 : 0) + o.status;
    s += o.customer.length + o.email.length;
    const sig = o.signature.toUint8Array();
    s += sig.length + sig[0];
    const a = o.shipTo;
    s += a.street.length + a.city.length + a.zip + a.latitude + a.longitude;
    const items = o.items;
    for (let i = 0; i < items.length; i++) {
      const it = items.get(i);
      s += it.productId + it.quantity + it.unitPrice + (it.taxable ? 1 : 0) + it.name.length;
    }
    const history = o.history;
    for (let i = 0; i < history.length; i++) s += history.get(i);
    const tags = o.tags;
    for (let i = 0; i < tags.length; i++) s += tags.get(i).length;
    const c = o.contact;
    const which = c.which();
    s += which;
    if (which === 1) s += c.phone.length;
    else if (which === 2) s += c.pager;
    return s;
  }

  return { build, input: (bytes) => bytes.slice().buffer, read };
}
