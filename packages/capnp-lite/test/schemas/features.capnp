# Unions, groups, defaults of every kind, nested types, constants and an interface: what the code
# generator must get right beyond plain fields.
@0xe1c5e5a7b2f3d401;

struct Shape {
  name @0 :Text = "unnamed";
  area @1 :Float64 = 1.5;
  count @2 :Int32 = -7;
  flag @3 :Bool = true;
  big @4 :UInt64 = 12345678901234567890;
  color @5 :Color = green;
  union {
    circle @6 :Float64;
    square @7 :Float64;
    polygon :group {
      sides @8 :UInt16;
      length @9 :Float32 = 2.5;
    }
    none @10 :Void;
  }
  origin :group {
    x @11 :Int32;
    y @12 :Int32 = 3;
  }
  tags @13 :List(Text) = ["a", "b"];
  inner @14 :Inner = (id = 9, label = "default inner");
  bytes @15 :Data = 0x"01 02";
  small @16 :Int8 = -3;
  ratio @17 :Float32 = -0.5;
  matrix @18 :List(List(Float64)) = [[1.0, 2.0], [3.0]];

  enum Color {
    red @0;
    green @1;
    blue @2;
  }

  struct Inner {
    id @0 :UInt32;
    label @1 :Text;
  }
}

const answer :Int32 = 42;
const greeting :Text = "hello";
const bigNumber :UInt64 = 18446744073709551615;
const shapeConst :Shape = (name = "constant shape", square = 2.0);
const primes :List(UInt16) = [2, 3, 5, 7];

interface Calculator {
  add @0 (a :Int32, b :Int32) -> (sum :Int32);
  negate @1 (value :Int64) -> (result :Int64);
}
