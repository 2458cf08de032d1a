/**
 * A fetch that adds up the time spent inside it (until the response's headers arrive), so that a
 * measured client's own time per call is the call's time minus this.
 */
export function timingFetch(): { fetch: typeof fetch; spent: () => number } {
  let total = 0;
  const timed: typeof fetch = async (input, init) => {
    const start = performance.now();
    try {
      return await fetch(input, init);
    } finally {
      total += performance.now() - start;
    }
  };
  return { fetch: timed, spent: () => total };
}
