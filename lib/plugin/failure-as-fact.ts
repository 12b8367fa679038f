// A read whose failure the check judges itself (a gate names a source it cannot read as a
// blocker), rather than one that ends the run. Once the run's own deadline has run out, the
// failure is the timeout's, which names every read still open: it ends the run.

/** What `read` gives, or its error as a value, unless `deadline` has run out. */
export async function failureAsFact<T>(read: Promise<T>, deadline: { signal: AbortSignal }): Promise<T | { error: unknown }> {
  try {
    return await read;
  } catch (error) {
    if (deadline.signal.aborted) throw error;
    return { error };
  }
}
