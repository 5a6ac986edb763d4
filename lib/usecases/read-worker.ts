/**
 * Entry point of the read workers' own bundle (dist/read-worker.js): just the fast-path reader, which serves read
 * requests when loaded as a worker (replay-workers.ts). A worker that loaded the whole CLI bundle instead spent about
 * 0.2 s compiling and initialising modules it never uses (the AWS SDK among them) before its first file (measured).
 */
import './replay-workers';
