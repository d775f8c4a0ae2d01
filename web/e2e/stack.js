// Starts what the browser tests run against: an in-memory Azurite on free ports and the real local host
// (src/Collection.LocalHost, from its build output) serving the app and the built console (web/dist), with the
// sample settings' keys and business date. No mocks: the console talks to the app through the host.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
const configuration = process.env.COLLECTION_CONFIGURATION || 'Release';
const account = 'devstoreaccount1';
const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => ok(port)); });
  });
}

async function waitFor(check, what, seconds, gaveUp = () => false) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try { if (await check()) return; } catch { /* not yet */ }
    if (gaveUp()) throw new Error(`${what} stopped`);
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function build(project, dll) {
  if (existsSync(dll)) return;
  const built = spawnSync('dotnet', ['build', project, '-c', configuration, '--nologo', '-v', 'quiet', '-clp:ErrorsOnly'], { cwd: repo, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`dotnet build ${project} failed`);
}

/** Starts Azurite and the local host; returns { baseURL, keys, stop() }. values: settings added to the sample's (a scenario's own host). */
export async function startStack({ log = () => {}, values: extra = {} } = {}) {
  const azurite = join(repo, 'node_modules', '.bin', 'azurite');
  if (!existsSync(azurite)) throw new Error('Azurite is not installed: run npm ci in the repository root (./test.sh does).');
  if (!existsSync(join(repo, 'web', 'dist', 'index.html'))) throw new Error('The console is not built: npm run build in web/ (./test.sh does).');
  const hostDll = join(repo, 'src', 'Collection.LocalHost', 'bin', configuration, 'net10.0', 'Collection.LocalHost.dll');
  const appDir = join(repo, 'src', 'Collection.Functions', 'bin', configuration, 'net10.0');
  build('src/Collection.Functions', join(appDir, 'Collection.Functions.dll'));
  build('src/Collection.LocalHost', hostDll);

  const [blob, queue, table, firstPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const work = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const children = [];
  const stop = async () => {
    for (const child of children.reverse()) {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 10000); child.once('exit', () => { clearTimeout(t); r(); }); });
      }
    }
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const az = spawn(azurite, ['--inMemoryPersistence', '--skipApiVersionCheck', '--loose', '--disableProductStyleUrl', '--silent',
      '--blobHost', '127.0.0.1', '--blobPort', String(blob), '--queueHost', '127.0.0.1', '--queuePort', String(queue),
      '--tableHost', '127.0.0.1', '--tablePort', String(table)], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
    let azuriteErrors = '';
    az.stderr.on('data', (d) => { azuriteErrors += d; });
    az.once('exit', (code) => { if (code) console.error(`Azurite exited ${code}: ${azuriteErrors}`); });
    children.push(az);
    await waitFor(() => Promise.all([blob, queue, table].map((p) => new Promise((ok) => {
      const socket = connect(p, '127.0.0.1', () => { socket.end(); ok(true); });
      socket.once('error', () => ok(false));
    }))).then((up) => up.every(Boolean)), 'Azurite', 60);

    const sample = JSON.parse(readFileSync(join(repo, 'local.settings.sample.json'), 'utf8'));
    const values = {
      ...sample.Values,
      AzureWebJobsStorage: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${accountKey};BlobEndpoint=http://127.0.0.1:${blob}/${account};QueueEndpoint=http://127.0.0.1:${queue}/${account};TableEndpoint=http://127.0.0.1:${table}/${account};`,
      'Collection:BusinessDate': '2022-10-10',
      AzureFunctionsJobHost__extensions__blobs__pollingInterval: '00:00:00.500',
      ...extra,
    };
    const settings = join(work, 'local.settings.json');
    writeFileSync(settings, JSON.stringify({ IsEncrypted: false, Values: values }));
    // A free port can be taken between the probe and the host's bind (other test runs share the machine): try another.
    let host;
    let baseURL;
    let hostLog;
    for (let attempt = 1; ; attempt++) {
      const port = attempt === 1 ? firstPort : await freePort();
      host = spawn('dotnet', [hostDll, '--script-root', appDir, '--settings', settings, '--port', String(port), '--console', join(repo, 'web', 'dist')],
        { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(host);
      hostLog = join(tmpdir(), `console-e2e-host-${port}.log`);
      writeFileSync(hostLog, '');
      const logTo = hostLog;
      host.stdout.on('data', (d) => { try { writeFileSync(logTo, d, { flag: 'a' }); } catch { /* gone */ } });
      host.stderr.on('data', (d) => { try { writeFileSync(logTo, d, { flag: 'a' }); } catch { /* gone */ } });
      baseURL = `http://127.0.0.1:${port}`;
      const started = host;
      try {
        await waitFor(async () => {
          if (started.exitCode !== null) throw new Error('exited');
          return (await fetch(`${baseURL}/api/health`)).ok;
        }, `The local host (log: ${hostLog})`, 180, () => started.exitCode !== null);
        break;
      } catch (e) {
        if (started.exitCode === null || attempt >= 3) throw e;
        log(`host exited at start (port ${port} taken?), trying another port; log ${hostLog}`);
      }
    }
    log(`host ${baseURL} (pid ${host.pid}), Azurite pid ${az.pid}, log ${hostLog}`);
    const keys = Object.fromEntries(Object.entries(values).filter(([k]) => k.startsWith('Keys:')).map(([k, v]) => [k.slice(5), v]));
    return { baseURL, keys, pids: [az.pid, host.pid], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// `node e2e/stack.js`: start the stack by hand and keep it until Ctrl-C (for trying the console).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stack = await startStack({ log: console.log });
  console.log(`console: ${stack.baseURL}/   keys: ${JSON.stringify(stack.keys)}`);
  const end = async () => { await stack.stop(); process.exit(0); };
  process.on('SIGINT', end);
  process.on('SIGTERM', end);
}
