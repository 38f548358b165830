import { UsageError } from './args.js';
// Placeholder until the diagnose issue lands: says so plainly and exits 2 ("could not run").
export async function diagnoseCommand(_args) {
    throw new UsageError('diagnose: not available in this build yet');
}
