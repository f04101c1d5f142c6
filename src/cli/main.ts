#!/usr/bin/env node
/** The `fledge` command line: the one place where the pieces are created and wired. */
import { Command } from 'commander';
import { registerControllerCommand } from './controller.js';

const program = new Command()
  .name('fledge')
  .description(
    'Progressive delivery for Kubernetes: canary, A/B and blue/green rollouts gated on metrics and webhooks',
  )
  .showHelpAfterError();

// `fledge controller` (how the chart runs it) loads its own command only: the operator verbs bring
// client-node (about 90 MB of RSS) and the demo its sandbox, which a controller never uses.
if (process.argv[2] !== 'controller') {
  const [demo, ops, doctor, validate, crds, judge] = await Promise.all([
    import('./demo/demo.js'),
    import('./ops/commands.js'),
    import('./ops/doctor/command.js'),
    import('./validate.js'),
    import('./crds.js'),
    import('./judge.js'),
  ]);
  demo.registerDemoCommand(program);
  ops.registerOperatorCommands(program);
  doctor.registerDoctorCommand(program);
  validate.registerValidateCommand(program);
  crds.registerCrdsCommand(program);
  registerControllerCommand(program);
  judge.registerJudgeCommand(program);
} else {
  registerControllerCommand(program);
}

await program.parseAsync(process.argv);
