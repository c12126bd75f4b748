// The core's only source of randomness: a SplitMix64 generator seeded by init(). Same seed,
// same draws, so a simulation replays exactly. (Math.random would import env.seed.)

let state: u64 = 0x9e3779b97f4a7c15;

/** Seeds the generator; a zero seed is remapped so the stream is never degenerate. */
export function prng_seed(seed: u64): void {
  state = seed == 0 ? 0x9e3779b97f4a7c15 : seed;
}

/** The next 64 random bits. */
export function prng_next(): u64 {
  state += 0x9e3779b97f4a7c15;
  let z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

/** A uniform integer in [min, max). */
export function prng_range(min: i32, max: i32): i32 {
  assert(min < max, "prng_range: empty range");
  const span = <u64>(max - min);
  const value = min + <i32>(prng_next() % span);
  assert(value >= min && value < max, "prng_range: result out of range");
  return value;
}

/** Current generator state, for the state digest. */
export function prng_state(): u64 {
  return state;
}
