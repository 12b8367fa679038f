// The test API server a benchmark starts prints one JSON line (its URL and kubeconfig) once it
// listens. One that died before it (a syntax Node's type stripping refuses, a port taken) left the
// bench waiting for good, its dqlite cluster running, and nothing said: its exit now fails the bench.

/** The server's first line, parsed; rejected if the server exits before it. */
export function firstLine(child) {
  return new Promise((done, fail) => {
    const exited = (code, signal) =>
      fail(new Error(`the test API server exited (${signal ? `signal ${signal}` : `code ${code}`}) before it said where it listens`));
    child.once('exit', exited);
    child.stdout.once('data', (d) => {
      child.off('exit', exited);
      done(JSON.parse(String(d)));
    });
  });
}
