import { bareQueueMicrosPerTask, chain, engineMicrosPerTask, fanOut } from './engine-overhead.js';
for (let i = 0; i < 5; i++) await engineMicrosPerTask(chain(10000), 16);
const c: number[] = [], f: number[] = [], b: number[] = [];
for (let i = 0; i < 7; i++) {
  c.push(await engineMicrosPerTask(chain(10000), 16));
  f.push(await engineMicrosPerTask(fanOut(10000), 10000));
  b.push(await bareQueueMicrosPerTask(chain(10000)));
}
const med = (a: number[]) => a.sort((x, y) => x - y)[3].toFixed(2);
console.log('chain', med(c), 'fan', med(f), 'bare', med(b));
