#!/usr/bin/env node
/** The `fledge` command line: the one place where the pieces are created and wired. */
import { Command } from 'commander';
import { registerControllerCommand } from './controller.js';
import { registerCrdsCommand } from './crds.js';
import { registerDemoCommand } from './demo/demo.js';
import { registerJudgeCommand } from './judge.js';
import { registerDoctorCommand } from './ops/doctor/command.js';
import { registerOperatorCommands } from './ops/commands.js';
import { registerValidateCommand } from './validate.js';

const program = new Command()
  .name('fledge')
  .description(
    'Progressive delivery for Kubernetes: canary, A/B and blue/green rollouts gated on metrics and webhooks',
  )
  .showHelpAfterError();

registerDemoCommand(program);
registerOperatorCommands(program);
registerDoctorCommand(program);
registerValidateCommand(program);
registerCrdsCommand(program);
registerControllerCommand(program);
registerJudgeCommand(program);

await program.parseAsync(process.argv);
