// Reinforcement learning: environment dynamics against an independent Python implementation
// (test/fixtures/gen_rl.py), the replay buffer, and DQN (target network, Double-DQN target, a short CartPole run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Generator, noGrad, tensor } from '../../src/index.ts';
import { CartPole } from '../../src/rl/cartpole.ts';
import { Acrobot } from '../../src/rl/acrobot.ts';
import { MountainCar } from '../../src/rl/mountaincar.ts';
import type { StatefulEnv } from '../../src/rl/env.ts';
import { ReplayBuffer } from '../../src/rl/replay.ts';
import { asciiCartPole, renderCartPole } from '../../src/rl/render.ts';
import { DqnAgent, evaluate, linearSchedule, trainDqn, dqnDefaults } from '../../src/rl/dqn.ts';

interface Episode {
  initialState: number[];
  actions: number[];
  states: number[][];
  observations?: number[][];
  rewards: number[];
  terminated: boolean[];
  truncated: boolean[];
  /** How much the Python reference amplifies a 1e-12 nudge of the initial state over the episode. */
  nudgeGrowth: number;
}

function loadEpisodes(name: string): Episode[] {
  const path = fileURLToPath(new URL(`../fixtures/rl_${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')).episodes;
}

function assertNear(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs expected ${expected[i]}`);
  }
}

const envs: [string, () => StatefulEnv][] = [
  ['cartpole', () => new CartPole()],
  ['acrobot', () => new Acrobot()],
  ['mountaincar', () => new MountainCar()],
];

for (const [name, make] of envs) {
  const episodes = loadEpisodes(name);

  test(`${name}: every transition matches the reference dynamics`, () => {
    const env = make();
    env.reset(0);
    let terminations = 0, truncations = 0;
    for (const [e, ep] of episodes.entries()) {
      for (let t = 0; t < ep.actions.length; t++) {
        // start each step from the reference state, so chaotic stretches cannot amplify rounding differences
        env.setState(t === 0 ? ep.initialState : ep.states[t - 1], t);
        const r = env.step(ep.actions[t]);
        const where = `${name} episode ${e} step ${t}`;
        assertNear(env.getState(), ep.states[t], `${where} state`);
        assertNear(r.observation, ep.observations ? ep.observations[t] : ep.states[t], `${where} observation`);
        assert.equal(r.reward, ep.rewards[t], `${where} reward`);
        assert.equal(r.terminated, ep.terminated[t], `${where} terminated`);
        assert.equal(r.truncated, ep.truncated[t], `${where} truncated`);
      }
      terminations += +ep.terminated.at(-1)!;
      truncations += +ep.truncated.at(-1)!;
    }
    // the fixtures cover both ways an episode ends
    assert.ok(terminations > 0 && truncations > 0, `${name}: fixtures need terminated and truncated episodes`);
    assert.ok(episodes.some((ep) => ep.actions.length >= 200), `${name}: fixtures need an episode of ≥ 200 steps`);
  });

  test(`${name}: whole episodes replayed from the initial state follow the reference trajectory`, () => {
    const env = make();
    env.reset(0);
    for (const [e, ep] of episodes.entries()) {
      env.setState(ep.initialState);
      let last = 0;
      for (let t = 0; t < ep.actions.length; t++) {
        const r = env.step(ep.actions[t]);
        // a last-bit difference in sin/cos grows by up to nudgeGrowth; only where that stays far below the
        // tolerance is a free-running comparison meaningful (per-step agreement is checked above)
        if (ep.nudgeGrowth * 1e-15 < 1e-7) assertNear(env.getState(), ep.states[t], `${name} episode ${e} step ${t} state`);
        assert.equal(r.terminated, ep.terminated[t], `${name} episode ${e} step ${t} terminated`);
        assert.equal(r.truncated, ep.truncated[t], `${name} episode ${e} step ${t} truncated`);
        last = t;
      }
      assert.equal(last + 1, ep.actions.length);
      assert.throws(() => env.step(0), /episode is over; call reset/);
    }
  });
}

test('resets are seeded, fresh episodes start inside Gymnasium\'s ranges', () => {
  const cp = new CartPole();
  assert.deepEqual(cp.reset(7), new CartPole().reset(7));
  assert.notDeepEqual(cp.reset(7), cp.reset(8));
  const first = cp.reset(3), next = cp.reset();
  assert.notDeepEqual(first, next, 'reset() without a seed continues the stream');
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < 500; i++) for (const v of cp.reset()) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  assert.ok(lo >= -0.05 && hi < 0.05 && lo < -0.049 && hi > 0.049, `CartPole reset range [${lo}, ${hi}]`);
  const ac = new Acrobot();
  for (let i = 0; i < 200; i++) {
    const o = ac.reset(i);
    const [t1, t2] = ac.getState();
    assert.ok(Math.abs(t1) <= 0.1 && Math.abs(t2) <= 0.1);
    assertNear(o, [Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), ...ac.getState().slice(2)], 'Acrobot observation', 0);
  }
  const mc = new MountainCar();
  for (let i = 0; i < 200; i++) {
    const [p, v] = mc.reset(i);
    assert.ok(p >= -0.6 && p < -0.4 && v === 0, `MountainCar reset (${p}, ${v})`);
  }
  // time limits: CartPole 500, Acrobot 500, MountainCar 200
  assert.equal(cp.maxEpisodeSteps, 500);
  assert.equal(ac.maxEpisodeSteps, 500);
  assert.equal(mc.maxEpisodeSteps, 200);
});

test('environments reject bad actions, stepping before reset and malformed states', () => {
  assert.throws(() => new CartPole().step(0), /CartPole.step: call reset/);
  const cp = new CartPole();
  cp.reset(0);
  assert.throws(() => cp.step(2), /CartPole.step: action must be an integer in \[0, 2\), got 2/);
  assert.throws(() => cp.step(0.5), /CartPole.step: action/);
  assert.throws(() => cp.setState([0, 0, 0]), /CartPole.setState: expected 4 numbers, got 3/);
  assert.throws(() => cp.setState([0, 0, NaN, 0]), /CartPole.setState: state values must be finite/);
  const ac = new Acrobot();
  ac.reset(0);
  assert.throws(() => ac.step(3), /Acrobot.step: action must be an integer in \[0, 3\)/);
  const mc = new MountainCar();
  mc.reset(0);
  assert.throws(() => mc.step(-1), /MountainCar.step: action must be an integer in \[0, 3\)/);
  assert.throws(() => mc.setState([0]), /MountainCar.setState: expected 2 numbers, got 1/);
});

test('ASCII frames (all three envs) and CartPole raster frames show the state', () => {
  const cartColumn = (s: string) => s.split('\n').find((l) => l.includes('[###]'))!.indexOf('[###]');
  const left = asciiCartPole([-2, 0, 0, 0]), right = asciiCartPole([2, 0, 0, 0]);
  assert.ok(cartColumn(left) < 15 && cartColumn(right) > 40, `cart columns ${cartColumn(left)}, ${cartColumn(right)}`);
  assert.ok(asciiCartPole([0, 0, 0.2, 0]).includes('/') && asciiCartPole([0, 0, -0.2, 0]).includes('\\'));
  assert.ok(asciiCartPole([0, 0, 0, 0]).includes('|') && !asciiCartPole([0, 0, 0, 0]).includes('/'));
  const cp = new CartPole();
  cp.reset(0);
  assert.ok(cp.render().includes('[###]'));
  // Acrobot hanging down: the elbow 'o' is straight below the pivot 'O'; swung up, above it
  const rowCol = (s: string, ch: string) => { const rows = s.split('\n'); const r = rows.findIndex((l) => l.includes(ch)); return [r, rows[r].indexOf(ch)]; };
  const ac = new Acrobot();
  ac.reset(0);
  ac.setState([0, 0, 0, 0]);
  const [pr, pc] = rowCol(ac.render(), 'O'), [er, ec] = rowCol(ac.render(), 'o');
  assert.ok(er > pr && ec === pc, `hanging: pivot (${pr}, ${pc}), elbow (${er}, ${ec})`);
  ac.setState([Math.PI, 0, 0, 0]);
  assert.ok(rowCol(ac.render(), 'o')[0] < rowCol(ac.render(), 'O')[0], 'swung up');
  // MountainCar: the car 'C' moves right with the position and stays left of the flag 'F'
  const mc = new MountainCar();
  mc.reset(0);
  mc.setState([-1.0, 0]);
  const c1 = rowCol(mc.render(), 'C')[1];
  mc.setState([0.3, 0]);
  const c2 = rowCol(mc.render(), 'C')[1];
  assert.ok(c1 < c2 && c2 < rowCol(mc.render(), 'F')[1], `car columns ${c1}, ${c2}`);
  // raster: the pole's pixels lie right of the axle when θ > 0 and left when θ < 0
  const poleMeanX = (theta: number) => {
    const c = renderCartPole([0, 0, theta, 0], 240, 160);
    const pole = c.color([202, 152, 101]);
    let sx = 0, n = 0;
    for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) if (c.get(x, y) === pole) { sx += x; n++; }
    assert.ok(n > 50, `pole pixels: ${n}`);
    return sx / n;
  };
  assert.ok(poleMeanX(0.2) > 122 && poleMeanX(-0.2) < 118 && Math.abs(poleMeanX(0) - 120) < 1);
});

// ---------------------------------------------------------------- replay buffer

function fill(buf: ReplayBuffer, from: number, to: number): void {
  for (let i = from; i < to; i++) buf.add([i, -i], i % 3, i * 0.5, [i + 1, -(i + 1)], i % 4 === 0);
}

test('replay: the ring buffer keeps the newest capacity transitions', () => {
  const buf = new ReplayBuffer(5, 2);
  fill(buf, 0, 3);
  assert.equal(buf.size, 3);
  fill(buf, 3, 8);
  assert.equal(buf.size, 5);
  assert.equal(buf.capacity, 5);
  const all = buf.gather(Int32Array.from([0, 1, 2, 3, 4]));
  // transitions 5, 6, 7 overwrote slots 0, 1, 2
  assert.deepEqual(Array.from(all.obs.filter((_, i) => i % 2 === 0)), [5, 6, 7, 3, 4]);
  assert.deepEqual(Array.from(all.nextObs.filter((_, i) => i % 2 === 1)), [-6, -7, -8, -4, -5]);
  assert.deepEqual(Array.from(all.actions), [2, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(all.rewards), [2.5, 3, 3.5, 1.5, 2]);
  assert.deepEqual(Array.from(all.dones), [0, 0, 0, 0, 1]);
  assert.throws(() => buf.add([1, 2, 3], 0, 0, [1, 2], false), /ReplayBuffer.add: observations must have 2 values, got 3 and 2/);
  assert.throws(() => buf.sample(6, new Generator(0)), /ReplayBuffer.sample: batchSize 6 exceeds the 5 stored transitions/);
  assert.throws(() => new ReplayBuffer(0, 2), /ReplayBuffer: capacity must be a positive integer/);
  assert.throws(() => new ReplayBuffer(4, 2).gather(Int32Array.of(0)), /slot 0 is out of range for 0 stored/);
});

test('replay: batches have no duplicates and every slot and pair is equally likely', () => {
  const buf = new ReplayBuffer(10, 2);
  fill(buf, 0, 10);
  const g = new Generator(123);
  const full = buf.sample(10, g);
  assert.deepEqual(Array.from(full.indices).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const draws = 20000, k = 3;
  const counts = new Array(10).fill(0);
  const pairs = new Map<string, number>();
  for (let d = 0; d < draws; d++) {
    const b = buf.sample(k, g);
    const idx = Array.from(b.indices);
    assert.equal(new Set(idx).size, k, `duplicate in batch ${idx}`);
    // the batch carries the transitions stored in those slots
    for (let j = 0; j < k; j++) assert.equal(b.obs[2 * j], idx[j]);
    for (const i of idx) counts[i]++;
    const s = idx.sort((x, y) => x - y);
    for (let a = 0; a < k; a++) for (let c = a + 1; c < k; c++) pairs.set(`${s[a]},${s[c]}`, (pairs.get(`${s[a]},${s[c]}`) ?? 0) + 1);
  }
  const chi2 = (obs: number[], expected: number) => obs.reduce((acc, o) => acc + (o - expected) ** 2 / expected, 0);
  // χ² critical values at p = 0.001: 27.9 (9 dof), 78.7 (44 dof)
  const c1 = chi2(counts, (draws * k) / 10);
  assert.ok(c1 < 27.9, `slot frequencies are not uniform: χ² = ${c1.toFixed(1)} (${counts})`);
  assert.equal(pairs.size, 45);
  const c2 = chi2([...pairs.values()], (draws * 3) / 45);
  assert.ok(c2 < 78.7, `pair frequencies are not uniform: χ² = ${c2.toFixed(1)}`);
});

test('replay: stateDict round trip resumes identically', () => {
  const a = new ReplayBuffer(6, 2);
  fill(a, 0, 9);
  const b = new ReplayBuffer(6, 2);
  b.loadStateDict(a.stateDict());
  assert.equal(b.size, 6);
  const ga = new Generator(5), gb = new Generator(5);
  assert.deepEqual(a.sample(4, ga), b.sample(4, gb));
  // both continue writing at the same slot
  fill(a, 9, 10);
  fill(b, 9, 10);
  assert.deepEqual(a.stateDict(), b.stateDict());
  assert.throws(() => new ReplayBuffer(7, 2).loadStateDict(a.stateDict()), /state is for capacity 6, obsSize 2; this buffer has 7, 2/);
  const bad = a.stateDict();
  bad.rewards = new Float32Array(3);
  assert.throws(() => b.loadStateDict(bad), /rewards needs 6 values, got 3/);
});

// ---------------------------------------------------------------- DQN

function smallAgent(extra: Partial<typeof dqnDefaults> = {}): DqnAgent {
  return new DqnAgent(4, 2, { hidden: [16, 16], batchSize: 8, bufferSize: 100, seed: 3, ...extra });
}

function randomTransitions(agent: DqnAgent, n: number, seed: number): void {
  const g = new Generator(seed);
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: 4 }, () => g.normal());
    const s2 = Array.from({ length: 4 }, () => g.normal());
    agent.replay.add(s, g.randint(0, 2), g.uniform(-1, 1), s2, g.random() < 0.3);
  }
}

function outputs(net: DqnAgent['online'], x: number[][]): number[] {
  return noGrad(() => Array.from(net.forward(tensor(x)).data));
}

test('DQN: the target network is a copy until training moves the online one, and syncTarget copies again', () => {
  const agent = smallAgent({ lr: 1e-2 });
  const probe = [[0.1, -0.2, 0.3, 0.05], [1, 0.5, -0.5, 2]];
  assert.deepEqual(outputs(agent.online, probe), outputs(agent.target, probe));
  assert.ok(agent.target.parameters().every((p) => !p.requiresGrad), 'the target network is not trained');
  randomTransitions(agent, 50, 1);
  for (let i = 0; i < 5; i++) agent.trainStep();
  const online = outputs(agent.online, probe), target = outputs(agent.target, probe);
  assert.ok(online.some((v, i) => Math.abs(v - target[i]) > 1e-4), 'training changed the online network only');
  agent.syncTarget();
  assert.deepEqual(outputs(agent.online, probe), outputs(agent.target, probe));
  // syncing copies values: further training leaves the target alone
  const synced = outputs(agent.target, probe);
  agent.trainStep();
  assert.deepEqual(outputs(agent.target, probe), synced);
});

test('DQN: trainStep minimizes the Huber loss against the Double-DQN target', () => {
  for (const doubleDqn of [true, false]) {
    const agent = smallAgent({ lr: 1e-2, gamma: 0.9, doubleDqn });
    randomTransitions(agent, 40, 2);
    for (let i = 0; i < 20; i++) agent.trainStep(); // online and target now disagree
    agent.optimizer.paramGroups[0].lr = 0;
    // the batch the next trainStep will draw
    const state = agent.generator.getState();
    const g = new Generator(0);
    g.setState(state);
    const b = agent.replay.sample(8, g);
    const rows = (d: Float32Array) => Array.from({ length: 8 }, (_, i) => Array.from(d.subarray(i * 4, i * 4 + 4)));
    const q = outputs(agent.online, rows(b.obs)), qn = outputs(agent.online, rows(b.nextObs)), qt = outputs(agent.target, rows(b.nextObs));
    let expected = 0, vanilla = 0;
    for (let i = 0; i < 8; i++) {
      const huber = (d: number) => (Math.abs(d) < 1 ? 0.5 * d * d : Math.abs(d) - 0.5);
      const aStar = qn[2 * i + 1] > qn[2 * i] ? 1 : 0;
      const yDouble = b.rewards[i] + 0.9 * (1 - b.dones[i]) * qt[2 * i + aStar];
      const yMax = b.rewards[i] + 0.9 * (1 - b.dones[i]) * Math.max(qt[2 * i], qt[2 * i + 1]);
      const qa = q[2 * i + b.actions[i]];
      expected += huber(qa - (doubleDqn ? yDouble : yMax)) / 8;
      vanilla += huber(qa - (doubleDqn ? yMax : yDouble)) / 8;
    }
    const m = agent.trainStep();
    assert.ok(Math.abs(m.loss - expected) < 1e-5, `doubleDqn=${doubleDqn}: loss ${m.loss}, expected ${expected}`);
    assert.ok(Math.abs(expected - vanilla) > 1e-4, 'the test batch distinguishes the two targets');
  }
});

test('DQN: ε schedule, ε-greedy actions, config checks and state round trip', () => {
  const eps = linearSchedule(1, 0.04, 8000);
  assert.equal(eps(0), 1);
  assert.ok(Math.abs(eps(4000) - 0.52) < 1e-12);
  assert.equal(eps(8000), 0.04);
  assert.equal(eps(49_000), 0.04);
  const agent = smallAgent();
  const obs = [0.3, -0.1, 0.2, 0.4];
  const greedy = agent.act(obs, 0);
  const q = agent.qValues(obs);
  assert.equal(greedy, q[1] > q[0] ? 1 : 0);
  let other = 0;
  for (let i = 0; i < 400; i++) other += +(agent.act(obs, 1) !== greedy);
  assert.ok(other > 150 && other < 250, `ε = 1 picks uniformly: ${other}/400 non-greedy`);
  assert.throws(() => agent.qValues([1, 2]), /DqnAgent.qValues: observation has 2 values, expected 4/);
  assert.throws(() => new DqnAgent(4, 2, { batchSize: 0 }), /DqnConfig: batchSize must be a positive integer, got 0/);
  assert.throws(() => new DqnAgent(4, 2, { batchSize: 64, bufferSize: 10 }), /batchSize 64 exceeds bufferSize 10/);
  assert.throws(() => new DqnAgent(4, 2, { gamma: 1.5 }), /gamma must be in \[0, 1\]/);
  // a restored agent continues exactly like the original
  randomTransitions(agent, 30, 3);
  agent.trainStep();
  const copy = smallAgent({ seed: 99 });
  copy.loadStateDict(agent.stateDict());
  const m1 = agent.trainStep(), m2 = copy.trainStep();
  assert.equal(m1.loss, m2.loss);
  assert.deepEqual(agent.qValues(obs), copy.qValues(obs));
  assert.throws(() => new DqnAgent(4, 2, { hidden: [8] }).loadStateDict(agent.stateDict()), /state has hidden layers \[16,16\], this agent \[8\]/);
});

test('DQN: a short CartPole run clearly improves the episode return', async () => {
  const env = new CartPole();
  let stops = 0;
  const res = await trainDqn(env, {
    hidden: [64, 64], maxSteps: 4000, learningStarts: 500, trainFreq: 2, gradientSteps: 1, targetUpdateInterval: 100,
    explorationFraction: 0.3, explorationFinalEps: 0.02, lr: 2.3e-3, batchSize: 32, bufferSize: 10_000,
    evalInterval: 1_000_000, solveEpisodes: 10, seed: 0,
  }, { shouldStop: () => { stops++; return false; } });
  assert.equal(res.steps, 4000);
  assert.equal(stops, 4000, 'shouldStop is polled every step');
  const r = res.episodeReturns;
  const k = Math.floor(r.length / 3);
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  const early = mean(r.slice(0, k)), late = mean(r.slice(-k));
  // random play lasts ~22 steps; an untrained greedy net that always pushes one way lasts ~10
  assert.ok(late > 2 * early, `training returns: first third ${early.toFixed(1)}, last third ${late.toFixed(1)}`);
  assert.ok(res.meanReturn > 60, `greedy evaluation after 4000 steps: ${res.meanReturn}`);
  // evaluate() is greedy and reproducible for a given seed
  const e1 = evaluate(res.agent, env, 3, 11), e2 = evaluate(res.agent, env, 3, 11);
  assert.deepEqual(e1.returns, e2.returns);
  assert.deepEqual(e1.returns, e1.lengths);
});
