/**
 * The command line of `exov6` (`pnpm --filter @exov6/machine start -- ...`):
 *
 *   exov6 [--disk IMAGE] [--memory MiB] [--policy NAME] [--seed N] [--slice N] [--strace] [--quiet]
 *         [-- COMMAND ARGS...]
 *
 * Without a command it boots to an interactive shell on the terminal; with one it runs the command and
 * exits with its status.
 */
export interface CliOptions {
  /** An ext2 image to boot with as the root file system (read-write), or null for the in-memory image. */
  disk: string | null;
  memoryMiB: number;
  policy: string;
  seed: number;
  slice: number | undefined;
  strace: boolean;
  quiet: boolean;
  command: string[];
  help: boolean;
}

export class CliUsageError extends Error {
  override name = 'CliUsageError';
}

export const USAGE = `usage: exov6 [options] [-- COMMAND [ARGS...]]

Boots ExoV6 (a simulated x86-64 PC, the exokernel and the POSIX library OS). Without a command: an
interactive shell on this terminal (Ctrl-A x powers off). With one: runs it, with its output here, and
exits with its status.

options:
  --disk IMAGE   boot with the ext2 image IMAGE as the root file system, read-write (the build makes
                 dist/disk.img; any image from mke2fs -t ext2 -d DIR with /sbin/init boots too); without
                 it the root file system is in memory and changes are lost at power-off
  --memory MiB   guest memory (default 256)
  --policy NAME  scheduler: beatty (default), stride, lottery, eevdf, cfs, rr, priority
  --seed N       seed of every random byte the guests see (default 0)
  --slice N      instructions per time slice (default 10000)
  --strace       print every system call to stderr
  --quiet        no boot log
  --help         this text`;

export function parseArguments(args: readonly string[]): CliOptions {
  const options: CliOptions = {
    disk: null,
    memoryMiB: 256,
    policy: 'beatty',
    seed: 0,
    slice: undefined,
    strace: false,
    quiet: false,
    command: [],
    help: false,
  };
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
      throw new CliUsageError(
        `${flag} needs a whole number, got ${value === undefined ? 'nothing' : `"${value}"`}`,
      );
    }
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    switch (arg) {
      case '--':
        // `pnpm start -- --quiet -- cmd` forwards its own separator: one followed by an option is not ours.
        if ((args[i + 1] ?? '').startsWith('--')) break;
        options.command = args.slice(i + 1);
        if (options.command.length === 0) throw new CliUsageError('-- must be followed by a command');
        return options;
      case '--memory':
        options.memoryMiB = number(arg, args[++i]);
        break;
      case '--disk': {
        const value = args[++i];
        if (value === undefined || value === '') throw new CliUsageError('--disk needs an image file');
        options.disk = value;
        break;
      }
      case '--policy': {
        const value = args[++i];
        if (value === undefined) throw new CliUsageError('--policy needs a name');
        options.policy = value;
        break;
      }
      case '--seed':
        options.seed = number(arg, args[++i]);
        break;
      case '--slice':
        options.slice = number(arg, args[++i]);
        break;
      case '--strace':
        options.strace = true;
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        // A command without "--" (pnpm passes its arguments on as they are).
        if (!arg.startsWith('-')) {
          options.command = args.slice(i);
          return options;
        }
        throw new CliUsageError(`unknown option ${arg}`);
    }
  }
  return options;
}
