// kubectl for baton's Kubernetes skills. Every k8s skill carries its own copy of this file
// (a skill is one self-contained folder); baton's tests check that the copies are identical.
//
// kubectl is spawned with an argument list, never through a shell, so no input can become
// a command; the names that end up in arguments are checked against Kubernetes' own rules
// first, so none can pass for a flag either.
import { spawn } from 'node:child_process';
import { SkillError, badInput, durationInput, input, seconds } from './lib.mjs';

const STDOUT_LIMIT = 256 * 1024 * 1024;
const STDERR_TAIL = 2000;

/** A Kubernetes object name (RFC 1123 subdomain: lowercase letters, digits, `-` and `.`). */
export function nameInput(name, fallback) {
  const value = input(name, fallback).trim();
  if (value.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
    throw badInput(`input ${name}: ${JSON.stringify(value)} is not a Kubernetes name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)`);
  }
  return value;
}

/** kubectl's --timeout value for the input `name` (kubectl wants a unit: 300s). */
export function timeoutArg(name, fallback) {
  const ms = durationInput(name, fallback);
  if (ms < 1000) throw badInput(`input ${name}: ${seconds(ms)} is too short for a rollout; give at least 1s`);
  return `--timeout=${Math.ceil(ms / 1000)}s`;
}

/** The global flags every call gets: `--context=<name>` when the `context` input is set. */
export function globalArgs() {
  const context = input('context', '').trim();
  return context === '' ? [] : [`--context=${context}`];
}

/**
 * Runs kubectl with `args`; resolves with its stdout. kubectl is $KUBECTL when set, else the
 * first kubectl on PATH. A failure rejects with kubectl's own message (the end of its
 * stderr), then `hint`: what to do about it.
 */
export function kubectl(args, hint = 'check the names, the namespace and the cluster kubectl points at (kubectl config current-context)') {
  const program = process.env.KUBECTL || 'kubectl';
  const argv = [...globalArgs(), ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(program, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let outBytes = 0;
    let err = '';
    child.stdout.on('data', (chunk) => {
      outBytes += chunk.length;
      if (outBytes <= STDOUT_LIMIT) out.push(chunk);
      else child.kill();
    });
    child.stderr.setEncoding('utf8').on('data', (text) => (err = (err + text).slice(-STDERR_TAIL)));
    child.on('error', (error) => {
      if (error.code !== 'ENOENT') return reject(new SkillError('KUBECTL_FAILED', `cannot start ${program}: ${error.message}`));
      reject(
        process.env.KUBECTL
          ? new SkillError('TOOL_MISSING', `KUBECTL is set to ${program}, which does not exist: fix KUBECTL, or unset it to use the kubectl on PATH`, 2)
          : new SkillError('TOOL_MISSING', 'kubectl is not on PATH: install kubectl and point it at the cluster (KUBECONFIG), or set KUBECTL to the kubectl to use', 2),
      );
    });
    child.on('close', (code, signal) => {
      const command = `kubectl ${argv.join(' ')}`;
      if (outBytes > STDOUT_LIMIT) return reject(new SkillError('KUBECTL_FAILED', `${command} printed more than ${STDOUT_LIMIT / 1048576} MB; narrow it (a namespace, a selector)`));
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const why = err.trim().split('\n').filter((line) => line.trim() !== '').slice(-3).join(' / ') || (signal ? `killed by ${signal}` : 'no message');
      reject(new SkillError('KUBECTL_FAILED', `${command} failed (exit ${code ?? signal}): ${why}; ${hint}`));
    });
  });
}
