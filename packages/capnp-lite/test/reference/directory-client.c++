// A client written with the reference implementation (Cap'n Proto 0.9.2, EzRpcClient) that runs a fixed
// script against a Directory of test/schemas/rpc-test.capnp, for test/rpc-reference.test.ts (which runs it
// against the Directory capnp-lite serves, test/support/directory-server.ts).
//
//   directory-client unix:/path/to/socket
//
// Prints one line per result ("what -> value"), and a line per call delivered to the objects this client
// serves itself ("local.increment(2)", "callback.call(20)") and per destruction of them ("~callback"),
// so the test can compare the whole output with what it expects. Then it drops every capability but the
// bootstrap one, prints "released", and waits (running its event loop, so the Release and Finish messages
// go out) until its stdin ends: the test looks at the server's tables meanwhile. Exits 0 when the script
// ran; an exception escaping the script is printed on stderr and exits 1.

#include <capnp/ez-rpc.h>
#include <kj/async-io.h>
#include <kj/debug.h>

#include <iostream>

#include "rpc-test.capnp.h"

namespace {

void print(kj::StringPtr line) {
  std::cout << line.cStr() << std::endl;  // std::endl flushes: the test reads the lines as they come.
}

// A counter served in this vat (the server calls it back, and gets it back from echo).
class LocalCounter final : public Counter::Server {
 public:
  LocalCounter(kj::StringPtr name, int32_t value) : name(kj::heapString(name)), value(value) {}
  ~LocalCounter() noexcept(false) { print(kj::str("~", name)); }

 protected:
  kj::Promise<void> increment(IncrementContext context) override {
    int32_t by = context.getParams().getBy();
    print(kj::str(name, ".increment(", by, ")"));
    value += by;
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }

  kj::Promise<void> get(GetContext context) override {
    print(kj::str(name, ".get()"));
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }

 private:
  kj::String name;
  int32_t value;
};

// Answers value * 2 + 1.
class LocalCallback final : public Callback::Server {
 public:
  ~LocalCallback() noexcept(false) { print("~callback"); }

 protected:
  kj::Promise<void> call(CallContext context) override {
    int32_t value = context.getParams().getValue();
    print(kj::str("callback.call(", value, ")"));
    context.getResults().setResult(value * 2 + 1);
    return kj::READY_NOW;
  }
};

int32_t increment(Counter::Client counter, int32_t by, kj::WaitScope& waitScope) {
  auto request = counter.incrementRequest();
  request.setBy(by);
  return request.send().wait(waitScope).getValue();
}

int32_t get(Counter::Client counter, kj::WaitScope& waitScope) {
  return counter.getRequest().send().wait(waitScope).getValue();
}

void script(Directory::Client dir, kj::WaitScope& waitScope) {
  // Pipelining: the increment goes out before open (itself sent on the bootstrap promise) has returned.
  auto openRequest = dir.openRequest();
  openRequest.setName("a");
  auto opened = openRequest.send();
  Counter::Client a = opened.getCounter();
  print(kj::str("open(a)+increment(5) -> ", increment(a, 5, waitScope)));
  print(kj::str("get -> ", get(a, waitScope)));
  opened.wait(waitScope);

  {
    // The same name gives the same counter.
    auto request = dir.openRequest();
    request.setName("a");
    print(kj::str("open(a) again+increment(1) -> ", increment(request.send().getCounter(), 1, waitScope)));
  }

  {
    // The server's own counter sent back to it (receiverHosted), and returned to us: the same import.
    auto request = dir.echoRequest();
    request.setCap(a);
    Counter::Client echoed = request.send().wait(waitScope).getCap();
    print(kj::str("echo(a)+increment(1) -> ", increment(echoed, 1, waitScope)));
    print(kj::str("get -> ", get(a, waitScope)));
  }

  Counter::Client local = kj::heap<LocalCounter>("local", 10);
  {
    // A counter of ours through the server and back, called on the promised result: the call travels to
    // the server and back here, then the answer says the capability is ours, and later calls are
    // embargoed until a Disembargo has made the same round trip.
    auto request = dir.echoRequest();
    request.setCap(local);
    auto echoed = request.send();
    Counter::Client pipelined = echoed.getCap();
    auto first = pipelined.incrementRequest();
    first.setBy(2);
    auto firstDone = first.send();
    echoed.wait(waitScope);
    auto second = pipelined.incrementRequest();
    second.setBy(3);
    auto secondDone = second.send();
    // Both answers before printing either: when each arrives depends on the schedule, not on E-order
    // (the calls reaching the counter in order is what "local.increment(2)", "local.increment(3)" show).
    int32_t firstValue = firstDone.wait(waitScope).getValue();
    int32_t secondValue = secondDone.wait(waitScope).getValue();
    print(kj::str("echo(local) pipelined increment(2) -> ", firstValue));
    print(kj::str("then increment(3) -> ", secondValue));
  }

  {
    auto request = dir.failRequest();
    request.setReason("no such thing");
    auto failed = request.send().then(
        [](capnp::Response<Directory::FailResults>&&) -> kj::String { return kj::str("returned"); },
        [](kj::Exception&& e) { return kj::str("exception: ", e.getType(), ": ", e.getDescription()); });
    print(kj::str("fail -> ", failed.wait(waitScope)));
  }

  {
    // A capability inside a struct of the results, called before they exist.
    auto request = dir.nestedRequest();
    request.setName("n");
    auto nested = request.send();
    Counter::Client counter = nested.getInner().getCounter();
    print(kj::str("nested(n) pipelined increment(1) -> ", increment(counter, 1, waitScope)));
    print(kj::str("nested label -> ", nested.wait(waitScope).getInner().getLabel()));
  }

  {
    // The server calls the callback, served here, while our call waits.
    auto request = dir.callBackRequest();
    request.setCallback(kj::heap<LocalCallback>());
    request.setValue(20);
    print(kj::str("callBack(20) -> ", request.send().wait(waitScope).getResult()));
  }

  {
    auto request = dir.bumpRequest();
    request.setCounter(local);
    request.setBy(4);
    print(kj::str("bump(local, 4) -> ", request.send().wait(waitScope).getValue()));
    print(kj::str("local get -> ", get(local, waitScope)));
  }
}

}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " unix:/path/to/socket" << std::endl;
    return 2;
  }
  capnp::EzRpcClient client(argv[1]);
  auto& waitScope = client.getWaitScope();
  Directory::Client dir = client.getMain<Directory>();

  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() { script(dir, waitScope); })) {
    std::cerr << "directory-client: " << kj::str(*e).cStr() << std::endl;
    return 1;
  }
  print("released");

  // Runs the event loop (the Release and Finish messages for what the script dropped go out) until the
  // test closes our stdin.
  // (A stdin that cannot be waited on, /dev/null say, counts as ended.)
  KJ_IF_MAYBE(e, kj::runCatchingExceptions([&]() {
    auto input = client.getLowLevelIoProvider().wrapInputFd(0);
    char buffer[64];
    while (input->tryRead(buffer, 1, sizeof(buffer)).wait(waitScope) > 0) {
    }
  })) {
    std::cerr << "directory-client: stdin: " << e->getDescription().cStr() << std::endl;
  }
  print("bye");
  return 0;
}
