import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Logger } from 'pino';

/** Shell conventions for a program that could not be started. */
const NOT_FOUND = 127;
const NOT_EXECUTABLE = 126;

/** The program `--exec` runs: it shares our stdin, stdout and stderr. */
export class Program {
  readonly pid: number;
  /** Its exit code; a death by signal N is 128 + N, as shells report it (but see stop()). */
  readonly exited: Promise<number>;
  /** True once it runs; false when it could not be started (then `exited` says why, 126 or 127). */
  readonly started: Promise<boolean>;
  private readonly child: ChildProcess;
  private stopSignal: NodeJS.Signals | undefined;

  constructor(argv: readonly string[], log: Logger) {
    const [command, ...args] = argv;
    this.child = spawn(command, args, { stdio: 'inherit' });
    this.pid = this.child.pid ?? process.pid;
    this.started = new Promise((resolve) => {
      this.child.once('spawn', () => resolve(true));
      this.child.once('error', () => resolve(false));
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error: NodeJS.ErrnoException) => {
        log.error({ program: command, err: error }, `cannot run ${command}: ${error.message}`);
        resolve(error.code === 'ENOENT' ? NOT_FOUND : NOT_EXECUTABLE);
      });
      this.child.once('exit', (code, signal) => {
        const exitCode = signal && signal === this.stopSignal ? 0 : (code ?? 128 + (signal ? constants.signals[signal] : 0));
        log.info({ program: command, pid: this.pid, exitCode, signal }, `${command} exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
        resolve(exitCode);
      });
    });
  }

  /**
   * Passes our SIGTERM or SIGINT on. Dying of it counts as a clean exit (0), as systemd
   * counts it: the stop was asked for.
   */
  stop(signal: NodeJS.Signals): void {
    this.stopSignal = signal;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}
