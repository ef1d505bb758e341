// The Directory of test/schemas/rpc-test.capnp served by the reference implementation (Cap'n Proto 0.9.2,
// EzRpcServer), with the semantics of test/support/directory-server.ts, for test/rpc-reference.test.ts.
//
//   directory-server unix:/path/to/socket
//
// Prints "ready" on stdout once the socket is bound, then one line per call delivered, in the format of
// DirectoryState.log ("open(a)", "a.increment(5)", "echo", ...), and "~a" when the counter named "a" is
// destroyed (the last reference to it went, here and in every connected vat). Runs until killed.

#include <capnp/ez-rpc.h>
#include <kj/debug.h>

#include <iostream>
#include <map>
#include <string>

#include "rpc-test.capnp.h"

namespace {

void log(kj::StringPtr line) {
  std::cout << line.cStr() << std::endl;  // std::endl flushes: the test reads the lines as they come.
}

class CounterImpl final : public Counter::Server {
 public:
  CounterImpl(kj::StringPtr name, int32_t value) : name(kj::heapString(name)), value(value) {}
  ~CounterImpl() noexcept(false) { log(kj::str("~", name)); }

 protected:
  kj::Promise<void> increment(IncrementContext context) override {
    int32_t by = context.getParams().getBy();
    log(kj::str(name, ".increment(", by, ")"));
    value += by;
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }

  kj::Promise<void> get(GetContext context) override {
    log(kj::str(name, ".get()"));
    context.getResults().setValue(value);
    return kj::READY_NOW;
  }

 private:
  kj::String name;
  int32_t value;
};

class DirectoryImpl final : public Directory::Server {
 protected:
  kj::Promise<void> open(OpenContext context) override {
    std::string name = context.getParams().getName().cStr();
    log(kj::str("open(", name.c_str(), ")"));
    auto it = counters.find(name);
    if (it == counters.end()) {
      it = counters.emplace(name, Counter::Client(kj::heap<CounterImpl>(name.c_str(), 0))).first;
    }
    context.getResults().setCounter(it->second);
    return kj::READY_NOW;
  }

  kj::Promise<void> echo(EchoContext context) override {
    log("echo");
    context.getResults().setCap(context.getParams().getCap());
    return kj::READY_NOW;
  }

  kj::Promise<void> fail(FailContext context) override {
    auto reason = context.getParams().getReason();
    log(kj::str("fail(", reason, ")"));
    // The exception's description is the reason, as is (KJ_FAIL_REQUIRE would add the macro's text).
    return kj::Exception(kj::Exception::Type::FAILED, __FILE__, __LINE__, kj::heapString(reason));
  }

  kj::Promise<void> callBack(CallBackContext context) override {
    auto params = context.getParams();
    log(kj::str("callBack(", params.getValue(), ")"));
    auto request = params.getCallback().callRequest();
    request.setValue(params.getValue());
    return request.send().then([context](capnp::Response<Callback::CallResults>&& response) mutable {
      context.getResults().setResult(response.getResult());
    });
  }

  kj::Promise<void> nested(NestedContext context) override {
    auto name = context.getParams().getName();
    log(kj::str("nested(", name, ")"));
    auto inner = context.getResults().initInner();
    inner.setLabel(name);
    inner.setCounter(kj::heap<CounterImpl>(name, 100));
    return kj::READY_NOW;
  }

  kj::Promise<void> bump(BumpContext context) override {
    auto params = context.getParams();
    log(kj::str("bump(", params.getBy(), ")"));
    auto request = params.getCounter().incrementRequest();
    request.setBy(params.getBy());
    return request.send().then([context](capnp::Response<Counter::IncrementResults>&& response) mutable {
      context.getResults().setValue(response.getValue());
    });
  }

 private:
  std::map<std::string, Counter::Client> counters;
};

}  // namespace

int main(int argc, char* argv[]) {
  if (argc != 2) {
    std::cerr << "usage: " << argv[0] << " unix:/path/to/socket" << std::endl;
    return 2;
  }
  capnp::EzRpcServer server(kj::heap<DirectoryImpl>(), argv[1]);
  auto& waitScope = server.getWaitScope();
  // Resolves once the address is bound and listening (to 0 for a Unix socket).
  server.getPort().wait(waitScope);
  log("ready");
  kj::NEVER_DONE.wait(waitScope);
}
