/**
 * capnp-ts's two workloads over the classes capnpc-ts generated (bench/.build/capnp-ts): build an Order
 * from a plain record and frame it (Message.toArrayBuffer), and read every field of a framed message. The
 * reader is given an ArrayBuffer: capnp-ts copies an ArrayBufferView passed to `new Message`, but not an
 * ArrayBuffer.
 */
export function capnpTs(capnp, gen) {
  const { Order } = gen;

  function build(r) {
    const m = new capnp.Message();
    const o = m.initRoot(Order);
    o.setId(r.id);
    o.setCreatedAt(r.createdAt);
    o.setCustomerAge(r.customerAge);
    o.setPriority(r.priority);
    o.setVisits(r.visits);
    o.setTotal(r.total);
    o.setVerified(r.verified);
    o.setStatus(r.status);
    o.setCustomer(r.customer);
    o.setEmail(r.email);
    o.initSignature(r.signature.length).copyBuffer(r.signature);
    const a = o.initShipTo();
    const ra = r.shipTo;
    a.setStreet(ra.street);
    a.setCity(ra.city);
    a.setZip(ra.zip);
    a.setLatitude(ra.latitude);
    a.setLongitude(ra.longitude);
    const items = o.initItems(r.items.length);
    for (let i = 0; i < r.items.length; i++) {
      const src = r.items[i];
      const it = items.get(i);
      it.setProductId(src.productId);
      it.setQuantity(src.quantity);
      it.setUnitPrice(src.unitPrice);
      it.setTaxable(src.taxable);
      it.setName(src.name);
    }
    const history = o.initHistory(r.history.length);
    for (let i = 0; i < r.history.length; i++) history.set(i, r.history[i]);
    const tags = o.initTags(r.tags.length);
    for (let i = 0; i < r.tags.length; i++) tags.set(i, r.tags[i]);
    const c = r.contact;
    if (c.which === 1) o.getContact().setPhone(c.phone);
    else if (c.which === 2) o.getContact().setPager(c.pager);
    else o.getContact().setNone();
    return new Uint8Array(m.toArrayBuffer());
  }

  /** The same sum as data.mjs foldRecord, from the message. */
  function read(buffer) {
    const o = new capnp.Message(buffer, false).getRoot(Order);
    let s = Number(o.getId() & 0xffffffffn) + Number(o.getCreatedAt() & 0xffffffffn);
    s +=
      o.getCustomerAge() +
      o.getPriority() +
      o.getVisits() +
      o.getTotal() +
      (o.getVerified() ? 1 : 0) +
      o.getStatus();
    s += o.getCustomer().length + o.getEmail().length;
    const sig = o.getSignature().toUint8Array();
    s += sig.length + sig[0];
    const a = o.getShipTo();
    s += a.getStreet().length + a.getCity().length + a.getZip() + a.getLatitude() + a.getLongitude();
    const items = o.getItems();
    const n = items.getLength();
    for (let i = 0; i < n; i++) {
      const it = items.get(i);
      s +=
        it.getProductId() +
        it.getQuantity() +
        it.getUnitPrice() +
        (it.getTaxable() ? 1 : 0) +
        it.getName().length;
    }
    const history = o.getHistory();
    const h = history.getLength();
    for (let i = 0; i < h; i++) s += history.get(i);
    const tags = o.getTags();
    const t = tags.getLength();
    for (let i = 0; i < t; i++) s += tags.get(i).length;
    const c = o.getContact();
    const which = c.which();
    s += which;
    if (which === 1) s += c.getPhone().length;
    else if (which === 2) s += c.getPager();
    return s;
  }

  return { build, input: (bytes) => bytes.slice().buffer, read };
}
