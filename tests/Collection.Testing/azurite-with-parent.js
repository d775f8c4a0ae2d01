// Runs Azurite for as long as the process that started this script lives. That process holds the write end of
// this script's stdin; the OS closes it when the process ends, however it ends (SIGKILL, a CI timeout), and then
// Azurite is killed and this script exits: no Azurite is left behind by a test run that was killed.
// Usage: node azurite-with-parent.js <path of azurite's bin script> <azurite arguments...>
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');

const [azurite, ...args] = process.argv.slice(2);
const child = spawn(process.execPath, [fs.realpathSync(azurite), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
// Read by the test process: the process to look for when proving Azurite went with its parent.
console.log(`Azurite process ${child.pid}`);

const stop = () => child.kill('SIGKILL');
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, stop);
}

child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
