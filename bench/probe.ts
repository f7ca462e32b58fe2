import { chain, engineMicrosPerTask } from './engine-overhead.js';
for (let i=0;i<8;i++){ await engineMicrosPerTask(chain(10000), 16); }
console.log('chain', (await engineMicrosPerTask(chain(10000), 16)).toFixed(2));
