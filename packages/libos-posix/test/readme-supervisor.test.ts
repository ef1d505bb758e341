/**
 * The README's supervisor example, as written there: it must print what the README shows.
 */
import { Rights } from '@exov6/caplattice';
import { Exokernel } from '@exov6/exokernel';
import { expect, it } from 'vitest';
import { Supervisor } from '../src/index';

it('the supervisor example prints what the README says', () => {
  const kernel = new Exokernel({ memoryBytes: 16 << 20, platform: {} });
  const root = kernel.createRootEnvironment({ quota: 1024 });
  const os = kernel.bind(root);
  const supervisorEnv = os.envCreate({ quota: 256 });
  const environment = kernel.environmentOf(root, supervisorEnv);
  const boot = os.bootCapabilities();
  const timer = os.capGrant(boot?.timer as number, { rights: Rights.TIMER | Rights.READ }, supervisorEnv);

  const started: string[] = [];
  const service = (name: string, dependsOn: string[] = []) => ({
    name,
    dependsOn,
    quota: 8,
    start: (ctx: { incarnation: number }) => started.push(`${name}#${ctx.incarnation}`),
  });
  const supervisorApi = kernel.bind(environment);
  const supervisor = new Supervisor(supervisorApi, [service('log', ['fs']), service('fs')], {
    bind: (envCap) => kernel.bind(kernel.environmentOf(environment, envCap)),
    timer,
  });
  supervisor.startAll();
  supervisorApi.envKill(supervisor.environmentOf('fs') as number);
  const { status, incarnation, crashes } = supervisor.report('fs');
  const printed = [started.join(' '), status, incarnation, crashes].join(' ');
  expect(printed).toBe('fs#1 log#1 fs#2 log#2 running 2 1');
});
