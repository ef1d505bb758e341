# The benchmark's schema: a customer-order record in the spirit of Cap'n Proto's own "carsales" and
# "catrank" benchmarks. Integers of several widths, a float, a bool, an enum, text, data, a nested struct,
# a list of structs, a list of primitives, a list of text and a union.
@0xd113860d5ded9d97;

enum Status {
  pending @0;
  active @1;
  suspended @2;
  closed @3;
}

struct Address {
  street @0 :Text;
  city @1 :Text;
  zip @2 :UInt32;
  latitude @3 :Float32;
  longitude @4 :Float32;
}

struct LineItem {
  productId @0 :UInt32;
  quantity @1 :UInt16;
  unitPrice @2 :Float64;
  taxable @3 :Bool;
  name @4 :Text;
}

struct Order {
  id @0 :UInt64;
  createdAt @1 :Int64;
  customerAge @2 :UInt8;
  priority @3 :Int16;
  visits @4 :UInt32;
  total @5 :Float64;
  verified @6 :Bool;
  status @7 :Status;
  customer @8 :Text;
  email @9 :Text;
  signature @10 :Data;
  shipTo @11 :Address;
  items @12 :List(LineItem);
  history @13 :List(Int32);
  tags @14 :List(Text);

  contact :union {
    none @15 :Void;
    phone @16 :Text;
    pager @17 :UInt32;
  }
}
