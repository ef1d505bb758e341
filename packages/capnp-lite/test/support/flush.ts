/** Lets every queued delivery, call and promise reaction run (RPC connections work with microtasks). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
