/** Where one step spends its time, kernel by kernel (tf.profile), as the step benches print it. */
import * as tf from '@tensorflow/tfjs';

/** Profiles `step` once and logs its `top` costliest kernels under `title` (`one step by kernel (…)`). */
export async function logKernelProfile(title: string, step: () => void, log: (line: string) => void, top = 12): Promise<void> {
  const profile = await tf.profile(step);
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry.calls++;
    byKernel.set(k.name, entry);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  log(`\n${title} (${profile.kernels.length} kernel calls, ${total.toFixed(1)} ms in kernels):`);
  for (const [name, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    log(`  ${name.padEnd(24)}${e.ms.toFixed(1).padStart(8)} ms${String(e.calls).padStart(6)} calls`);
  }
}
