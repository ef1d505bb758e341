# Interfaces for the RPC tests (in-memory connections and the reference implementation over a socket):
# capabilities in params and results, calls on results not yet returned (pipelining), a capability
# reached through a struct, calls back into the caller's vat, and failures.
@0xd6c1a7e5f0b3c921;

interface Counter {
  increment @0 (by :Int32) -> (value :Int32);
  get @1 () -> (value :Int32);
}

interface Callback {
  call @0 (value :Int32) -> (result :Int32);
}

interface Directory {
  # The counter of that name (created at 0 the first time).
  open @0 (name :Text) -> (counter :Counter);
  # Returns the capability it was given.
  echo @1 (cap :Counter) -> (cap :Counter);
  # Fails with `reason`.
  fail @2 (reason :Text) -> ();
  # Calls `callback` with `value` and returns what it answered.
  callBack @3 (callback :Callback, value :Int32) -> (result :Int32);
  # A counter inside a struct of the results.
  nested @4 (name :Text) -> (inner :Inner);
  # Increments the counter it was given by `by`, returning the new value.
  bump @5 (counter :Counter, by :Int32) -> (value :Int32);

  struct Inner {
    label @0 :Text;
    counter @1 :Counter;
  }
}
