// dynalite in a worker thread of the benchmark process (plain CommonJS, so that it runs unbundled wherever it is
// started from and finds dynalite in node_modules): still in-process and on 127.0.0.1 with a random port, but its
// CPU work and its heap (every stored item) stay off the main thread, so that the main thread's timings and heap
// figures are the code under test's. Posts { port } once listening; closes on the message 'close'.
const { parentPort } = require('node:worker_threads');
const dynalite = require('dynalite');

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  server.closeAllConnections();
  server.close(() => parentPort.postMessage({ closed: true }));
});
