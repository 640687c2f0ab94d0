import { run } from './main.js';
process.stdout.write(JSON.stringify(run()));
