import { encodeBenches } from './encode-benches.js';

await encodeBenches('realtime');
