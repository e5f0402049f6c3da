/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), for reproducible test data. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seeded generator for random timings (kill moments, cut points) that prints its seed, so a
 * failure can be replayed: `RUNTRAIL_SEED=<seed> npx vitest run <file>`. Without the env a
 * fresh seed is drawn each run.
 */
export function seededRandom(label: string): { random: () => number; seed: number } {
  const fromEnv = process.env.RUNTRAIL_SEED;
  const seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 32);
  console.log(`[seed] ${label}: RUNTRAIL_SEED=${seed}`);
  return { random: mulberry32(seed), seed };
}
