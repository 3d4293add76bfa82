/**
 * Real-time store tests (Redis expires keys by its own clock, which no test can control) whose
 * assertions hold only if a step ran BEFORE something expired. A machine busy enough to run a
 * step late (a timer or a round trip late by the whole margin: seen once in CI, with two suites
 * on two cores) makes that run say nothing either way, so it is not a failure: the scenario runs
 * again on fresh keys. A store that expires at the wrong time fails every run that was on time.
 *
 * A scenario calls `inTime(deadline)` right after a step whose result depends on the step having
 * ended before `deadline` (epoch ms, a bound the test derives from times taken around its own
 * calls), and before asserting on that result.
 */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Sleep until an absolute time, so a late timer earlier in a test does not shift later steps. */
export const sleepUntil = (epochMs: number) => sleep(Math.max(0, epochMs - Date.now()));

class Late extends Error {}

const ATTEMPTS = 3;

export async function onTime(scenario: (inTime: (deadline: number) => void) => Promise<void>): Promise<void> {
  const late: string[] = [];
  const inTime = (deadline: number) => {
    const now = Date.now();
    if (now >= deadline) throw new Late(`a step ended ${now - deadline} ms after its deadline`);
  };
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await scenario(inTime);
      return;
    } catch (error) {
      if (!(error instanceof Late)) throw error;
      late.push(error.message);
    }
  }
  throw new Error(`the machine was too busy to run this on time ${ATTEMPTS} times: ${late.join("; ")}`);
}
