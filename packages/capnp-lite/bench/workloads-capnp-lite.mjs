/**
 * capnp-lite's two workloads over the generated classes (bench/.build/capnp-lite): build an Order from a
 * plain record and frame it (MessageBuilder.toBytes), and read every field of a framed message in place.
 * `decode` turns a framed message back into a plain record, for the cross-checks.
 */
export function capnpLite(runtime, gen) {
  const { MessageBuilder, readMessage } = runtime;
  const { Order, OrderBuilder } = gen;

  function build(r) {
    const m = new MessageBuilder();
    const o = m.initRoot(OrderBuilder);
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
    o.signature = r.signature;
    const a = o.initShipTo();
    const ra = r.shipTo;
    a.street = ra.street;
    a.city = ra.city;
    a.zip = ra.zip;
    a.latitude = ra.latitude;
    a.longitude = ra.longitude;
    const items = o.initItems(r.items.length);
    for (let i = 0; i < r.items.length; i++) {
      const src = r.items[i];
      const it = items.get(i);
      it.productId = src.productId;
      it.quantity = src.quantity;
      it.unitPrice = src.unitPrice;
      it.taxable = src.taxable;
      it.name = src.name;
    }
    const history = o.initHistory(r.history.length);
    for (let i = 0; i < r.history.length; i++) history.set(i, r.history[i]);
    const tags = o.initTags(r.tags.length);
    for (let i = 0; i < r.tags.length; i++) tags.set(i, r.tags[i]);
    const c = r.contact;
    if (c.which === 1) o.contact.phone = c.phone;
    else if (c.which === 2) o.contact.pager = c.pager;
    else o.contact.setNone();
    return m.toBytes();
  }

  /** The same sum as data.mjs foldRecord, from the message. */
  function read(bytes) {
    const o = readMessage(bytes).getRoot(Order);
    let s = Number(o.id & 0xffffffffn) + Number(o.createdAt & 0xffffffffn);
    s += o.customerAge + o.priority + o.visits + o.total + (o.verified ? 1 : 0) + o.status;
    s += o.customer.length + o.email.length;
    const sig = o.signature;
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

  function decode(bytes) {
    const o = readMessage(bytes).getRoot(Order);
    const a = o.shipTo;
    const c = o.contact;
    const which = c.which();
    return {
      id: o.id,
      createdAt: o.createdAt,
      customerAge: o.customerAge,
      priority: o.priority,
      visits: o.visits,
      total: o.total,
      verified: o.verified,
      status: o.status,
      customer: o.customer,
      email: o.email,
      signature: o.signature.slice(),
      shipTo: { street: a.street, city: a.city, zip: a.zip, latitude: a.latitude, longitude: a.longitude },
      items: o.items.toArray().map((it) => ({
        productId: it.productId,
        quantity: it.quantity,
        unitPrice: it.unitPrice,
        taxable: it.taxable,
        name: it.name,
      })),
      history: o.history.toArray(),
      tags: o.tags.toArray(),
      contact: which === 1 ? { which, phone: c.phone } : which === 2 ? { which, pager: c.pager } : { which },
    };
  }

  // capnp-lite reads a Uint8Array in place.
  return { build, input: (bytes) => bytes, read, decode };
}
